import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobBody, startTestApp, TestApp } from '../support/app';

/** Alive and not a zombie (an orphan reparented to a PID 1 that does not reap stays a zombie). */
function running(pid: number): boolean {
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

type Maybe<T> = T | undefined | false;

async function until<T>(
  probe: () => Maybe<T> | Promise<Maybe<T>>,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Issue 12, part 4: a command trial runs in its own process group; when its worker is killed,
 * the supervisor kills that group before the job is retried, so the retry is the only copy.
 */
describe('a trial process dies with its worker (real worker processes, SIGKILL)', () => {
  let app: TestApp;
  const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-trial-marks-'));
  // The trial runs as the unprivileged trial user (the sandbox): it must be able to leave marks.
  fs.chmodSync(marks, 0o777);
  before(async () => {
    // A worker killed is seen at once by its supervisor; a long heartbeat timeout keeps a loaded
    // machine from re-queuing the retry as well.
    app = await startTestApp({
      workers: 1,
      coordinators: 1,
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '20000' },
    });
  });
  after(async () => {
    await app?.close();
    fs.rmSync(marks, { recursive: true, force: true });
  });

  test('SIGKILL of the worker mid-trial: the trial group is gone within seconds and the retry is the only running copy', async () => {
    // Each copy records "<its pid> <its child's pid>" and runs ~8 s with a child in its group
    // (the retry too: on a loaded CI machine a shorter run could end before it is seen running).
    const script = `
      const fs = require('fs');
      const child = require('child_process').spawn('sleep', ['300'], { stdio: 'ignore' });
      fs.writeFileSync(${JSON.stringify(marks)} + '/' + process.pid, process.pid + ' ' + child.pid);
      let s = 0;
      const t = setInterval(() => {
        console.log('step=' + s + ' loss=1');
        if (++s === 40) { clearInterval(t); child.kill(); console.log('loss=1'); }
      }, 200);`;
    const created = await app
      .post('/v1/studies', {
        name: 'orphan',
        space: { x: { type: 'float', low: 0, high: 1 } },
        metrics: ['loss'],
        sampler: { name: 'random' },
        budget: { nTrials: 1, parallelism: 1 },
        runner: { type: 'command', command: [process.execPath, '-e', script] },
      })
      .expect(202);
    // A mark read between its file's creation and its write is empty: not a copy yet (read as
    // pid 0, which never runs, it failed the check that the retry runs, once under load).
    const copies = () =>
      fs
        .readdirSync(marks)
        .map((f) => fs.readFileSync(path.join(marks, f), 'utf8').split(' ').map(Number))
        .filter((pids) => pids.length === 2 && pids.every((p) => Number.isInteger(p) && p > 0));
    const [[leader, member]] = await until(
      () => copies().length === 1 && copies(),
      60_000,
      'the trial to start',
    );
    assert.ok(running(leader) && running(member));
    const trialJob = await until(
      async () => {
        const list = await app.get('/v1/jobs?kind=trial-command').expect(200);
        return (list.body.items as JobBody[]).find((j) => j.status === 'running');
      },
      10_000,
      'the running trial job',
    );

    const killedAt = Date.now();
    app.killWorker(trialJob);
    await until(() => !running(leader) && !running(member), 5_000, 'the trial group to die');
    const goneAfterMs = Date.now() - killedAt;

    // The retry runs the trial again, and is the only copy running.
    const [retry] = await until(
      () =>
        copies().filter(([pid]) => pid !== leader).length === 1 &&
        copies().filter(([pid]) => pid !== leader),
      60_000,
      'the retried trial to start',
    );
    assert.ok(running(retry[0]) && running(retry[1]));
    assert.equal(copies().filter(([pid]) => running(pid)).length, 1, 'one running copy');
    assert.ok(!running(leader) && !running(member));
    const retried = await app.waitForJob(trialJob.id, (j) => j.status === 'succeeded', 60_000);
    assert.ok(retried.attempts >= 2);
    await app.waitForJob(created.body.jobId, (j) => j.status === 'succeeded', 60_000);
    assert.ok(!running(retry[1]), "the retry's child ended with it");
    // Nothing left recorded for the supervisor.
    const runDir = path.join(app.home, 'run');
    assert.deepEqual(fs.existsSync(runDir) ? fs.readdirSync(runDir) : [], []);
    process.stderr.write(`trial group gone ${goneAfterMs} ms after SIGKILL of its worker\n`);
  });
});
