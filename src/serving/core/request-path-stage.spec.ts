import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { simulate } from '../../jizhi-sim/core/prepare-simulation';
import { expectedSlowdown, poissonBinomial, slowdownAt } from './cpu-contention';
import { ServiceProfile } from './service-profile';
import {
  DeploymentConfig,
  REQUEST_PATH_STAGE_ID,
  SERVING_STAGE_ID,
  contentionLoadOf,
  servingPipeline,
} from './serving-pipeline';

/** A profile of exponential batch service times of mean `meanMs` at batch size 1. */
function profileOf(meanMs: number, n = 20_000): ServiceProfile {
  const rng = new Rng(9);
  const xs = Array.from({ length: n }, () => rng.exponential(1) * meanMs);
  const mean = xs.reduce((a, x) => a + x, 0) / n;
  return {
    rows: [
      {
        batchSize: 1,
        latenciesMs: xs,
        meanMs: mean,
        p50Ms: 0,
        p99Ms: 0,
        p99RelCi: 0,
        converged: true,
      },
    ],
    rule: 'synthetic',
    capacityPerInstanceRps: 1000 / mean,
  };
}

const ONE: DeploymentConfig = {
  instances: 1,
  batch: { maxSize: 1, maxDelayMs: 0 },
  queue: { capacity: 0, timeoutMs: 0 },
};

test('the request-path stage is an M/D/1 queue in front of the batcher: its wait is Pollaczek-Khinchine', () => {
  // Event loop: 5 ms of deterministic work per request at 120 req/s, rho = 0.6. P-K mean wait
  // W = lambda E[S^2] / (2 (1 - rho)) = 120 x 25e-6 / 0.8 s = 3.75 ms. The model stage behind it
  // (0.5 ms exponential, 4 instances) barely queues.
  const pipeline = servingPipeline(
    profileOf(0.5),
    { ...ONE, instances: 4 },
    {
      timerLateMs: 0,
      replyMs: 0,
      requestPath: { eventLoopMs: 5 },
    },
  );
  assert.deepEqual(
    pipeline.stages.map((s) => s.id),
    [REQUEST_PATH_STAGE_ID, SERVING_STAGE_ID],
  );
  const r = simulate({
    pipeline,
    traffic: { model: 'poisson', rateRps: 120 },
    durationS: 2000,
    warmupS: 20,
    seed: 3,
    samplePoints: 0,
  });
  const http = r.stages.find((s) => s.id === REQUEST_PATH_STAGE_ID);
  assert.ok(http);
  assert.ok(Math.abs(http.utilisation / 0.6 - 1) < 0.02, `utilisation ${http.utilisation}`);
  assert.ok(Math.abs(http.meanWaitMs / 3.75 - 1) < 0.05, `wait ${http.meanWaitMs} vs 3.75`);
  // End to end: W + S of the event loop + the model's ~0.5 ms.
  assert.ok(Math.abs(r.latencyMs.mean - (3.75 + 5 + 0.5)) < 0.4, `mean ${r.latencyMs.mean}`);
});

test('without a request-path measurement the pipeline is the model stage alone', () => {
  const p = servingPipeline(profileOf(1), ONE, { timerLateMs: 0, replyMs: 0 });
  assert.deepEqual(
    p.stages.map((s) => s.id),
    [SERVING_STAGE_ID],
  );
});

test('contention: the Poisson-binomial count of busy competitors weights the measured slowdowns', () => {
  assert.deepEqual(poissonBinomial([0.5, 0.5]), [0.25, 0.5, 0.25]);
  const c = { cores: 2, slowdown: [1, 1.1, 1.6] };
  assert.equal(expectedSlowdown(c, [1, 0]), 1.1);
  // 0.25 x 1 + 0.5 x 1.1 + 0.25 x 1.6
  assert.ok(Math.abs(expectedSlowdown(c, [0.5, 0.5]) - 1.2) < 1e-12);
  // Beyond the measured k: processor sharing, (k + 1) / cores relative to the last measured.
  assert.ok(Math.abs(slowdownAt(c, 3) - (1.6 * 2) / 1.5) < 1e-12);
});

test('contention scales the instances’ and the event loop’s service times by the expected slowdown of the simulated load', () => {
  const profile = profileOf(2);
  const overheads = {
    timerLateMs: 0,
    replyMs: 0,
    requestPath: { eventLoopMs: 1 },
    contention: { cores: 2, slowdown: [1, 1.25, 1.75] },
  };
  const first = simulate({
    pipeline: servingPipeline(profile, ONE, overheads),
    traffic: { model: 'poisson', rateRps: 200 },
    durationS: 500,
    warmupS: 10,
    seed: 1,
    samplePoints: 0,
  });
  // One instance at rho ~ 0.4 and the event loop at ~ 0.2; a generator thread busy half the time.
  const load = contentionLoadOf(first, [0.5]);
  assert.ok(Math.abs(load.eventLoopUtilisation - 0.2) < 0.01);
  assert.ok(Math.abs(load.instanceUtilisation - 0.4) < 0.02);
  const p = servingPipeline(profile, ONE, overheads, load);
  const model = p.stages.find((s) => s.id === SERVING_STAGE_ID);
  assert.ok(model && model.service.dist === 'empirical');
  const expected = expectedSlowdown(overheads.contention, [load.eventLoopUtilisation, 0.5]);
  const ratio = model.service.profile[0].latenciesMs[7] / profile.rows[0].latenciesMs[7];
  assert.ok(Math.abs(ratio - expected) < 1e-9, `${ratio} vs ${expected}`);
  assert.ok(expected > 1.1 && expected < 1.25);
  // The event loop is slowed by the instance and the generator alike.
  const http = p.stages.find((s) => s.id === REQUEST_PATH_STAGE_ID);
  assert.ok(http && http.service.dist === 'deterministic');
  const loop = expectedSlowdown(overheads.contention, [load.instanceUtilisation, 0.5]);
  assert.ok(Math.abs(http.service.fixedMs - loop) < 1e-9, `${http.service.fixedMs} vs ${loop}`);
});
