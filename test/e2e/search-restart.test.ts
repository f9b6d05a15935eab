import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { removeTestHome, startTestApp } from '../support/app';

/**
 * A command-runner study survives a service restart (workers included): the driver and the
 * running trials are released and re-queued, the new driver reconciles from the database, no
 * completed trial is lost or run again, and the budget is met exactly.
 */
test('a study resumes after a service restart: no completed trial lost or re-run', async () => {
  const first = await startTestApp({ workers: 2 });
  // Trials run sandboxed as an unprivileged user (docs/security.md): they cannot write into
  // AUTODL_HOME, so their log lives in a directory open to them.
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-trial-log-'));
  fs.chmodSync(logDir, 0o777);
  const log = path.join(logDir, 'trials.log');
  // Each run appends "start N" and, 1.2 s later, "done N" before printing its result.
  const script = `const fs = require('fs'); const n = process.env.AUTODL_TRIAL_NUMBER;
    fs.appendFileSync(process.env.TRIAL_LOG, 'start ' + n + '\\n');
    setTimeout(() => {
      fs.appendFileSync(process.env.TRIAL_LOG, 'done ' + n + '\\n');
      console.log('loss=' + n);
    }, 1200);`;
  const created = await first
    .post('/v1/studies', {
      name: 'restartable',
      space: { x: { type: 'int', low: 0, high: 100 } },
      metrics: ['loss'],
      sampler: { name: 'random', settings: { seed: 9 } },
      budget: { nTrials: 5, parallelism: 2 },
      runner: {
        type: 'command',
        command: [process.execPath, '-e', script],
        env: { TRIAL_LOG: log },
      },
    })
    .expect(202);
  const id = created.body.id as string;

  // Wait until at least one trial completed and others are running, then restart.
  const deadline = Date.now() + 300_000;
  let before: { complete: number; running: number } = { complete: 0, running: 0 };
  while (Date.now() < deadline) {
    before = (await first.get(`/v1/studies/${id}`).expect(200)).body.counts;
    if (before.complete >= 1 && before.running >= 1) break;
    await sleep(100);
  }
  assert.ok(before.complete >= 1 && before.running >= 1, JSON.stringify(before));
  const completedBefore = (await first.get(`/v1/studies/${id}/trials?state=complete`).expect(200))
    .body.items as { number: number; values: number[] }[];
  await first.stop();
  // The trials that had started when the service stopped: one of them may have written "done"
  // and been stopped before the service recorded its result, and is then rightly run again.
  const startedBefore = new Set(
    fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('start '))
      .map((l) => Number(l.slice('start '.length))),
  );

  const second = await startTestApp({
    workers: 2,
    reuse: {
      databaseUrl: first.databaseUrl,
      home: first.home,
      key: first.key,
      drop: async () => undefined,
    },
  });
  try {
    const driver = await second.waitForJob(created.body.jobId, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(driver.status, 'succeeded', JSON.stringify(driver));
    // A shutdown releases the driver without using up an attempt; its events show the hand-over.
    const events = (await second.get(`/v1/jobs/${created.body.jobId}/events`).expect(200)).body as {
      message: string;
    }[];
    assert.ok(
      events.some((e) => /released|queued:/.test(e.message)),
      JSON.stringify(events.map((e) => e.message)),
    );
    const study = (await second.get(`/v1/studies/${id}`).expect(200)).body;
    assert.equal(study.status, 'completed');
    const trials = (await second.get(`/v1/studies/${id}/trials`).expect(200)).body.items as {
      number: number;
      state: string;
      values: number[];
    }[];
    assert.equal(trials.length, 5);
    // Trials interrupted by the restart may end failed (their process was killed) or complete
    // after a re-run; none is still running and each trial's value is its own number.
    for (const t of trials) {
      assert.notEqual(t.state, 'running');
      if (t.state === 'complete') assert.deepEqual(t.values, [t.number]);
    }
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    for (const t of completedBefore) {
      // Completed before the restart: still complete with the same value, and never run again.
      assert.deepEqual(trials[t.number].values, t.values);
      assert.equal(lines.filter((l) => l === `start ${t.number}`).length, 1);
    }
    for (const t of trials.filter((x) => x.state === 'complete')) {
      const done = lines.filter((l) => l === `done ${t.number}`).length;
      // Started after the restart: run exactly once. Interrupted by it: once more at most.
      if (startedBefore.has(t.number)) assert.ok(done >= 1 && done <= 2, `trial ${t.number}`);
      else assert.equal(done, 1, `trial ${t.number}`);
    }
  } finally {
    await second.stop();
    const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(
      `DROP DATABASE IF EXISTS ${new URL(first.databaseUrl).pathname.slice(1)} WITH (FORCE)`,
    );
    await admin.end();
    removeTestHome(first.home);
    fs.rmSync(logDir, { recursive: true, force: true });
  }
});
