/**
 * The command-trial sandbox, attacked from inside a trial (real app, real PostgreSQL, real worker
 * processes, the service running as root as in the container): the trial looks for the database
 * URL in its environment and in every /proc/<pid>/environ and cmdline it can read, reads
 * admin.key and another project's stored artifact at their real paths, and reports who it runs
 * as and under which limits (/proc/self/limits). Then the wall clock and the death of a worker
 * must take the trial's whole process group with them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobBody, TestApp, startTestApp } from '../support/app';

const SPACE = { x: { type: 'float', low: 0, high: 1 } };
const IS_ROOT = process.getuid?.() === 0;

interface Trial {
  number: number;
  state: string;
  userAttrs: Record<string, string>;
}

/** Live (not zombie) processes: pid, process group and command line. */
function processes(): { pid: number; pgid: number; cmdline: string }[] {
  const out: { pid: number; pgid: number; cmdline: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || fields[0] === 'X') continue;
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.push({ pid: Number(entry), pgid: Number(fields[2]), cmdline });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

async function until<T>(what: string, fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('command trial sandbox (attacks from inside a trial)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({
      workers: 1,
      coordinators: 1,
      env: {
        AUTODL_TRIAL_CPU_S: '77',
        AUTODL_TRIAL_MEMORY_MB: '6144',
        AUTODL_TRIAL_NOFILE: '123',
        AUTODL_TRIAL_NPROC: '321',
        // The service's cap on a trial's wall clock (a study without runner.timeoutS gets it).
        // 10 s: the attack script's scan of /proc outran 3 s at load 28 (a clean clone's tier).
        AUTODL_TRIAL_TIMEOUT_S: '10',
      },
    });
  });
  after(async () => {
    await app?.close();
  });

  const runStudy = async (name: string, command: string[], timeoutS?: number) => {
    const created = await app
      .post('/v1/studies', {
        name,
        space: SPACE,
        metrics: ['loss'],
        sampler: { name: 'random', settings: { seed: 1 } },
        budget: { nTrials: 1, parallelism: 1 },
        runner: { type: 'command', command, ...(timeoutS ? { timeoutS } : {}) },
      })
      .expect(202);
    return created.body as { id: string; jobId: string };
  };
  const trialsOf = async (id: string): Promise<Trial[]> =>
    (await app.get(`/v1/studies/${id}/trials`).expect(200)).body.items;

  test('a trial sees no secret: clean env, no readable environ, admin.key and other projects closed', async () => {
    // Another project's stored artifact, where the artifact store keeps it.
    const foreign = path.join(app.home, 'artifacts', '00000000-0000-4000-8000-00000000000b', 'j');
    fs.mkdirSync(foreign, { recursive: true });
    fs.writeFileSync(path.join(foreign, 'model.json'), 'project B secret');
    const home = app.home;
    // The service's database (its name is unique to this test run): anywhere the trial finds it
    // it has found the URL. The needle is assembled in a file so that no command line of the
    // trial itself contains it. (PostgreSQL's own process titles show database names, never a
    // URL or password: the command-line check looks for the URL.)
    const dbName = new URL(app.databaseUrl).pathname.slice(1);
    const url = app.databaseUrl;
    const script = `
      echo "== env"; env | sort
      echo "== id"; id -u; id -g; pwd; echo "HOME=$HOME"
      echo "== limits"; grep -E 'cpu time|address space|open files|processes' /proc/self/limits
      printf '%s%s\\n' "${dbName.slice(0, 4)}" "${dbName.slice(4)}" > needle
      printf '%s%s\\n' "${url.slice(0, 6)}" "${url.slice(6)}" > url-needle
      echo "== environ hits: $(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\000' '\\n' | grep -c -e DATABASE_URL -f needle)"
      echo "== cmdline hits: $(cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\000' '\\n' | grep -c -F -f url-needle)"
      if cat "${home}/admin.key" >/dev/null 2>&1; then echo "== admin.key READ"; else echo "== admin.key refused"; fi
      if cat "${foreign}/model.json" >/dev/null 2>&1; then echo "== foreign READ"; else echo "== foreign refused"; fi
      if ls "${home}/artifacts" >/dev/null 2>&1; then echo "== artifacts LISTED"; else echo "== artifacts refused"; fi
      echo scratch > own-file && echo "== own dir writable"
`;
    // The trial fails on purpose so that its stderr (the findings) is kept with it.
    const failing = await runStudy('attack-log', ['/bin/sh', '-c', `(${script}) >&2; exit 3`]);
    await app.waitForJob(failing.jobId, (j) => j.status === 'succeeded', 60_000);
    const [trial] = await trialsOf(failing.id);
    const out = trial.userAttrs.stderrTail;
    assert.ok(out, 'the trial left its stderr');
    const env = out.split('== env')[1].split('== id')[0];
    for (const secret of [
      'DATABASE_URL',
      'AUTODL_HOME',
      'AUTODL_API_KEY',
      'PGPASSWORD',
      'postgres://',
    ])
      assert.ok(!env.includes(secret), `${secret} in the trial's environment:\n${env}`);
    assert.ok(!env.includes(app.databaseUrl));
    const names = env
      .trim()
      .split('\n')
      .map((l) => l.split('=')[0]);
    for (const n of names)
      assert.ok(
        ['PATH', 'HOME', 'TMPDIR', 'LANG', 'PWD', 'SHLVL', '_', 'OLDPWD'].includes(n) ||
          n.startsWith('AUTODL_TRIAL_') ||
          n === 'AUTODL_STUDY_ID',
        `unexpected variable ${n}`,
      );
    assert.match(out, /== environ hits: 0/);
    assert.match(out, /== cmdline hits: 0/);
    assert.match(out, /== own dir writable/);
    if (IS_ROOT) {
      const [uid, gid, cwd] = out.split('== id')[1].trim().split('\n');
      assert.equal(uid, '65534', 'runs as nobody (AUTODL_TRIAL_USER default)');
      assert.equal(gid, '65534');
      assert.ok(cwd.endsWith(`/autodl-trials/${(await trialJob(app, failing.id)).id}`), cwd);
      assert.match(out, /HOME=\/.*\/autodl-trials\//);
      assert.match(out, /== admin\.key refused/);
      assert.match(out, /== foreign refused/);
      assert.match(out, /== artifacts refused/);
      assert.equal(fs.statSync(app.home).mode & 0o777, 0o700, 'AUTODL_HOME is 0700');
      assert.equal(fs.statSync(path.join(app.home, 'admin.key')).mode & 0o777, 0o600);
    }
    // Hard and soft limits as configured (prlimit sets both, so the trial cannot raise them).
    const limits = out.split('== limits')[1];
    assert.match(limits, /Max cpu time\s+77\s+77\s+seconds/);
    assert.match(limits, /Max processes\s+321\s+321\s+processes/);
    assert.match(limits, /Max open files\s+123\s+123\s+files/);
    assert.match(
      limits,
      new RegExp(`Max address space\\s+${6144 * 1024 * 1024}\\s+${6144 * 1024 * 1024}\\s+bytes`),
    );
    // The work directory is gone after the trial.
    assert.ok(
      !fs.existsSync(path.join('/tmp', 'autodl-trials', (await trialJob(app, failing.id)).id)),
    );
  });

  test('the wall clock kills the whole process group of a trial', async () => {
    const marker = '47.1301';
    const started = Date.now();
    const study = await runStudy('wall', [
      '/bin/sh',
      '-c',
      `sleep ${marker} & sleep ${marker}; echo loss=1`,
    ]);
    const pgid = await until(
      'the trial processes',
      () => processes().find((p) => p.cmdline.includes(`sleep ${marker}`))?.pgid,
      30_000,
    );
    await app.waitForJob(study.jobId, (j) => j.status === 'succeeded', 60_000);
    const [trial] = await trialsOf(study.id);
    assert.equal(trial.state, 'failed');
    assert.equal(trial.userAttrs.error, 'timed out after 10 s');
    assert.ok(Date.now() - started < 30_000);
    await until(
      'the group to end',
      () => (processes().some((p) => p.pgid === pgid) ? undefined : true),
      5000,
    );
  });

  test('a trial dies with its worker (SIGKILL): no process of its group survives', async (t) => {
    const marker = '59.7713';
    const study = await runStudy(
      'orphan',
      ['/bin/sh', '-c', `sleep ${marker} & sleep ${marker}; echo loss=1`],
      60,
    );
    const first = await until(
      'the trial processes',
      () => {
        const ps = processes().filter((p) => p.cmdline.startsWith(`sleep ${marker}`));
        return ps.length === 2 ? ps[0].pgid : undefined;
      },
      30_000,
    );
    const job = await trialJob(app, study.id);
    const running = await app.waitForJob(
      job.id,
      (j) => j.status === 'running' && j.worker !== null,
    );
    app.killWorker(running);
    const killedAt = Date.now();
    await until(
      'the group to end',
      () => (processes().some((p) => p.pgid === first) ? undefined : true),
      5000,
    );
    const tookMs = Date.now() - killedAt;
    t.diagnostic(`trial's process group gone ${tookMs} ms after the worker's SIGKILL`);
    assert.ok(tookMs < 5000, `group gone ${tookMs} ms after the worker's SIGKILL`);
    // Clean up: stop the study (its re-queued trial starts again under a new worker).
    await app.post(`/v1/studies/${study.id}/stop`);
    await app.post(`/v1/jobs/${study.jobId}/cancel`);
  });
});

async function trialJob(app: TestApp, studyId: string): Promise<JobBody> {
  for (let i = 0; i < 200; i++) {
    const page = (await app.get('/v1/jobs?kind=trial-command&limit=200').expect(200)).body as {
      items: (JobBody & { spec: { studyId: string } })[];
    };
    const hit = page.items.find((j) => j.spec?.studyId === studyId);
    if (hit) return hit;
    await sleep(50);
  }
  throw new Error(`no trial job for study ${studyId}`);
}
