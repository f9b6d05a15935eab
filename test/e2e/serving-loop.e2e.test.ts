import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, TestApp } from '../support/app';

/**
 * Issue 17 part 2: profile -> simulate -> tune -> apply through REST on a real database, a job
 * worker and a tiny model (docs/serving.md, "Profile, simulate, tune, apply").
 */
describe('serving loop (real app, PostgreSQL, a job worker, worker-thread instances)', () => {
  let app: TestApp;
  let id: string;

  before(async () => {
    app = await startTestApp({ workers: 1, coordinators: 0 });
    await app
      .post('/v1/models', {
        name: 'loop-base',
        architecture: 'small-cnn',
        inputShape: [8, 8, 1],
        classNames: ['a', 'b', 'c'],
        seed: 3,
      })
      .expect(201);
    const res = await app
      .post('/v1/deployments', {
        model: 'loop-base',
        name: 'loop',
        instances: 1,
        batch: { maxSize: 4, maxDelayMs: 20 },
        queue: { capacity: 64, timeoutMs: 30_000 },
      })
      .expect(201);
    id = res.body.id;
  });
  after(async () => {
    await app?.close();
  });

  async function logLines(jobId: string): Promise<string[]> {
    const events = (await app.get(`/v1/jobs/${jobId}/events`).expect(200)).body as {
      type: string;
      message: string;
    }[];
    return events.filter((e) => e.type === 'log').map((e) => e.message);
  }

  test('tune before any profile is a 409; bad bodies are 400s naming the field', async () => {
    const early = await app
      .post(`/v1/deployments/${id}/tune`, {
        traffic: { model: 'poisson', rateRps: 50 },
        slo: { p99Ms: 100 },
      })
      .expect(409);
    assert.match(early.body.detail, /no profile yet/);
    const typo = await app.post(`/v1/deployments/${id}/profile`, { batchSize: [1, 2] }).expect(400);
    assert.match(JSON.stringify(typo.body.errors), /batchSize/);
    const dup = await app.post(`/v1/deployments/${id}/profile`, { batchSizes: [2, 2] }).expect(400);
    assert.match(JSON.stringify(dup.body.errors), /batchSizes/);
    await app.post(`/v1/deployments/no-such/profile`, {}).expect(404);
    await app.post(`/v1/deployments/${id}/apply`, {}).expect(400);
  });

  test('profile (a job with progress) -> the stored profile and the simulator pipeline -> tune -> apply', async () => {
    const queued = await app
      .post(`/v1/deployments/${id}/profile`, {
        batchSizes: [1, 2, 4],
        warmup: 5,
        maxSamples: 200,
        maxSecondsPerSize: 5,
      })
      .expect(202);
    assert.equal(queued.body.kind, 'deployment-profile');
    const done = await app.waitForJob(queued.body.id, (j) => j.status === 'succeeded', 240_000);
    assert.equal(done.progress, 1);
    const result = done.result as {
      rows: { batchSize: number; samples: number; meanMs: number }[];
    };
    assert.deepEqual(
      result.rows.map((r) => r.batchSize),
      [1, 2, 4],
    );
    for (const r of result.rows) assert.ok(r.samples >= 20 && r.meanMs > 0);
    // The job's log says what was measured: the rule, then each size with its samples and CI.
    const logs = await logLines(queued.body.id);
    assert.match(logs[0], /warm-up batches discarded/);
    for (const r of result.rows)
      assert.ok(
        logs.some((l) =>
          new RegExp(
            `^batch ${r.batchSize}: ${r.samples} samples, .*p50 .*p99 .*bootstrap CI`,
          ).test(l),
        ),
        `no log line for batch ${r.batchSize} in ${JSON.stringify(logs)}`,
      );

    const profile = await app.get(`/v1/deployments/${id}/profile`).expect(200);
    assert.equal(profile.body.id, queued.body.id);
    assert.match(profile.body.rule, /bootstrap CI/);
    const stage = profile.body.pipeline.stages[0];
    assert.equal(stage.service.dist, 'empirical');
    assert.deepEqual(
      stage.service.profile.map((p: { batchSize: number }) => p.batchSize),
      [1, 2, 4],
    );
    assert.equal(stage.batch.maxSize, 4);
    assert.equal(stage.queue.capacity, 64);
    assert.ok(profile.body.capacityRps > 0);

    // The simulator accepts the emitted pipeline as it is.
    const sim = await app
      .post('/v1/simulations', {
        pipeline: profile.body.pipeline,
        traffic: { model: 'poisson', rateRps: profile.body.capacityRps * 0.5 },
        durationS: 30,
      })
      .expect(202);
    await app.waitForJob(sim.body.id, (j) => j.status === 'succeeded', 120_000);

    // A generous SLO at half the one-instance capacity: one instance is the cheapest config.
    const rate = profile.body.capacityRps * 0.5;
    const p99Ms = Math.ceil(20 * profile.body.rows[2].meanMs);
    const tuning = await app
      .post(`/v1/deployments/${id}/tune`, {
        traffic: { model: 'poisson', rateRps: rate },
        slo: { p99Ms, maxDropRate: 0.01 },
        maxInstances: 2,
        delaysMs: [0, 2],
        durationS: 30,
      })
      .expect(202);
    const tuned = await app.waitForJob(tuning.body.id, (j) => j.status === 'succeeded', 120_000);
    const best = tuned.result as {
      config: { instances: number; batch: { maxSize: number }; queue: { capacity: number } };
      predicted: { p99Ms: number };
    };
    // Which config is cheapest is the tuner's unit tests' (tune-deployment.spec.ts); here the
    // profile runs beside other test files, so only its promise and its application are fixed.
    assert.ok(best.config.instances >= 1 && best.config.instances <= 2);
    assert.ok(best.predicted.p99Ms <= p99Ms);
    assert.ok(best.config.queue.capacity >= best.config.batch.maxSize);
    // ...and why the tuner chose its config, with the p99 it promises.
    const tuneLogs = (await logLines(tuning.body.id)).join('\n');
    assert.match(tuneLogs, /^tuning for Poisson/m);
    assert.match(
      tuneLogs,
      new RegExp(
        `^chosen: ${best.config.instances} instance\\(s\\), maxSize ${best.config.batch.maxSize}, .*cheapest feasible`,
        'm',
      ),
    );
    assert.match(
      tuneLogs,
      new RegExp(`^promised: .*p99 ${Number(best.predicted.p99Ms.toPrecision(3))} ms`, 'm'),
    );

    const applied = await app
      .post(`/v1/deployments/${id}/apply`, { tuning: tuning.body.id })
      .expect(200);
    assert.equal(applied.body.instances, best.config.instances);
    assert.deepEqual(applied.body.batch.maxSize, best.config.batch.maxSize);
    assert.equal(applied.body.queue.capacity, best.config.queue.capacity);
    // The deployment keeps serving with the applied config.
    const after = await app.get(`/v1/deployments/${id}`).expect(200);
    assert.equal(after.body.queue.capacity, best.config.queue.capacity);
    await app.post('/v1/serve/loop/predict', { instance: Array(64).fill(0.5) }).expect(200);
    const live = (await app.get(`/v1/deployments/${id}`).expect(200)).body.status;
    assert.ok(live.rates.servedRps > 0 && live.rates.windowS > 0, JSON.stringify(live.rates));
    // The meter's on-path loop time (request-path-meter.ts `onPath`, the profile job's http
    // stage): a window of 1 s with 10+ predicts gives it, from the API's own stamps.
    await Promise.all(
      Array.from({ length: 24 }, () =>
        app.post('/v1/serve/loop/predict', { instance: Array(64).fill(0.5) }).expect(200),
      ),
    );
    await new Promise((r) => setTimeout(r, 1200));
    const metered = (await app.get(`/v1/deployments/${id}`).expect(200)).body.requestPath;
    assert.ok(
      metered?.onPath?.eventLoopMs > 0 && metered.onPath.batchSize >= 1,
      JSON.stringify(metered),
    );

    // The deployment's loop jobs, newest first: the tuning, then the profile.
    const jobs = (await app.get(`/v1/deployments/loop/jobs`).expect(200)).body.items;
    assert.deepEqual(
      jobs.map((j: { id: string; kind: string }) => [j.kind, j.id]),
      [
        ['deployment-tune', tuning.body.id],
        ['deployment-profile', queued.body.id],
      ],
    );

    // A tuning job is not a simulation; another kind's id is a 404.
    await app.post(`/v1/deployments/${id}/apply`, { tuning: sim.body.id }).expect(404);
  });
});
