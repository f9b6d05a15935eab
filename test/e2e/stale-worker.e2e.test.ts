import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalExecutor } from '../../src/platform/jobs/local-executor';
import { workerPid } from '../../src/platform/jobs/worker-id';
import { startTestApp, TestApp } from '../support/app';

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true }))
      if (e.isDirectory()) walk(path.join(d, e.name));
      else out.push(path.join(d, e.name));
  };
  walk(dir);
  return out;
}

/**
 * Issue 12, part 3: a worker paused (SIGSTOP) past the heartbeat timeout loses its job, which is
 * re-queued and resumed by another worker; when the paused one continues (SIGCONT) its writes
 * are refused (fenced by the attempt) and it gives the job up instead of finishing it.
 */
describe('a stale worker cannot write (real worker processes, SIGSTOP/SIGCONT)', () => {
  let app: TestApp;
  before(async () => {
    // An 8 s heartbeat timeout (the default test app's is 3 s): the pause still outlasts it, and
    // a loaded CI machine cannot make the replacing attempt lose its heartbeat too.
    app = await startTestApp({
      workers: 2,
      coordinators: 0,
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '8000' },
    });
  });
  after(async () => {
    await app?.close();
  });

  test('paused past the heartbeat timeout, re-queued, resumed elsewhere, continued: its writes are refused and it gives the job up', async () => {
    const steps = 30;
    const created = await app
      .post('/v1/jobs', { kind: 'sleep', spec: { steps, stepMs: 200, recordAttempt: true } })
      .expect(202);
    const id = created.body.id as string;
    const first = await app.waitForJob(
      id,
      (j) => j.status === 'running' && j.progress >= 4 / steps,
    );
    const stalePid = workerPid(first.worker);
    assert.ok(stalePid);
    process.kill(stalePid, 'SIGSTOP');
    let continued = false;
    try {
      const pausedAt = first.progress;
      // Heartbeat timeout 8 s: re-queued, claimed by the other worker, which gets well past the
      // step the paused worker was in.
      const second = await app.waitForJob(
        id,
        (j) => j.attempts === 2 && j.status === 'running' && j.progress >= pausedAt + 5 / steps,
        60_000,
      );
      assert.notEqual(second.worker, first.worker);
      process.kill(stalePid, 'SIGCONT');
      continued = true;
      const done = await app.waitForJob(id, (j) => j.status === 'succeeded', 60_000);
      assert.equal(done.attempts, 2);
      assert.equal(done.worker, second.worker, 'finished by the attempt that replaced it');
      const resumedFrom = done.result?.resumedFrom as number;
      assert.equal(done.result?.attempt, 2);
      assert.ok(resumedFrom >= 4, `resumed from step ${resumedFrom}`);

      // Every step from the resume point on is the new attempt's: the paused worker's step
      // (it was in the middle of one) was not written over it.
      const metrics = await app.get(`/v1/jobs/${id}/metrics?name=attempt`).expect(200);
      const byStep = new Map<number, number>(
        (metrics.body as { step: number; value: number }[]).map((m) => [m.step, m.value]),
      );
      assert.equal(byStep.size, steps);
      for (let s = 0; s < steps; s++)
        assert.equal(byStep.get(s), s < resumedFrom ? 1 : 2, `metric attempt at step ${s}`);

      // One artifact per step, its file says the same attempt as the metric; no stray file.
      const artifacts = await app.get(`/v1/jobs/${id}/artifacts`).expect(200);
      assert.equal(artifacts.body.length, steps);
      for (let s = 0; s < steps; s++) {
        const file = await app.get(`/v1/jobs/${id}/artifacts/steps/${s}.txt`).expect(200);
        assert.equal(file.text, `attempt ${byStep.get(s)}`, `artifact of step ${s}`);
      }
      const onDisk = filesUnder(path.join(app.home, 'artifacts')).filter((f) => f.includes(id));
      assert.equal(onDisk.length, steps, `files on disk: ${onDisk.join(', ')}`);
      assert.ok(!onDisk.some((f) => f.endsWith('.tmp')));

      // It gave the job up: alive, idle, and it neither released nor finished the job.
      const executor = app.running.executor as LocalExecutor;
      const deadline = Date.now() + 20_000;
      const idle = () => executor.workers().find((w) => w.pid === stalePid)?.jobId === null;
      while (!idle() && Date.now() < deadline) await sleep(100);
      assert.ok(idle(), 'the stale worker went back to idle');
      process.kill(stalePid, 0);
      const events = await app.get(`/v1/jobs/${id}/events?limit=1000`).expect(200);
      const messages = (events.body as { message: string; attempt: number }[]).map(
        (e) => e.message,
      );
      assert.ok(!messages.some((m) => /job released/.test(m)), messages.join('\n'));
      assert.equal(messages.filter((m) => m === 'succeeded').length, 1);
      assert.ok(
        messages.some((m) => /^queued: heartbeat lost/.test(m)),
        messages.join('\n'),
      );
      // After the resume, no log line of attempt 1.
      const late = (events.body as { message: string; attempt: number; type: string }[]).filter(
        (e) =>
          e.type === 'log' &&
          e.attempt === 1 &&
          Number(/^step (\d+)$/.exec(e.message)?.[1]) > resumedFrom,
      );
      assert.deepEqual(late, []);
    } finally {
      if (!continued) process.kill(stalePid, 'SIGCONT');
    }
  });
});
