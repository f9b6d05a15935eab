import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { simulate } from '../../jizhi-sim/core/prepare-simulation';
import { ServiceProfile } from './service-profile';
import { servingPipeline } from './serving-pipeline';
import { tuneDeployment } from './tune-deployment';

/** A profile of exponential service times of mean `meanMs` (batch size 1 only): an M/M/c model. */
function exponentialProfile(meanMs: number, n = 20_000): ServiceProfile {
  const rng = new Rng(5);
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

test('tuning against the M/M/1 closed form: one instance meets a 110 ms p99 at 50 req/s of 10 ms work, a 70 ms p99 needs two', async () => {
  // M/M/1 sojourn time is Exp(mu - lambda): p99 = ln 100 / (100 - 50) s = 92.1 ms.
  const profile = exponentialProfile(10);
  const traffic = { model: 'poisson' as const, rateRps: 50 };
  const loose = await tuneDeployment({
    profile,
    traffic,
    slo: { p99Ms: 110, maxDropRate: 0.001 },
    maxInstances: 3,
    delaysMs: [0],
    durationS: 400,
  });
  assert.equal(loose.config?.instances, 1);
  assert.ok(loose.predicted);
  const mm1P99 = (Math.log(100) / 50) * 1000;
  assert.ok(
    Math.abs(loose.predicted.p99Ms / mm1P99 - 1) < 0.1,
    `p99 ${loose.predicted.p99Ms} vs ${mm1P99}`,
  );
  // Queue limit: ceil(0.110 s x ~100 req/s) = 11 or 12 places (the sample mean is not exactly
  // 10 ms); M/M/1/K with K = 12 in the system drops (1 - rho) rho^K / (1 - rho^(K+1)) = 1.2e-4
  // at rho = 0.5.
  assert.equal(loose.config?.queue.capacity, Math.ceil(0.11 * profile.capacityPerInstanceRps));
  assert.ok(loose.predicted.dropRate < 0.001);
  const tight = await tuneDeployment({
    profile,
    traffic,
    slo: { p99Ms: 70, maxDropRate: 0.001 },
    maxInstances: 3,
    delaysMs: [0],
    durationS: 400,
  });
  assert.equal(tight.config?.instances, 2);
  assert.ok((tight.predicted?.p99Ms ?? Infinity) <= 70);
  assert.equal(tight.trials, 3);
});

test('no config meets an impossible SLO: config null, nothing feasible', async () => {
  const r = await tuneDeployment({
    profile: exponentialProfile(10, 2000),
    traffic: { model: 'poisson', rateRps: 50 },
    slo: { p99Ms: 5, maxDropRate: 0 },
    maxInstances: 2,
    delaysMs: [0],
    durationS: 50,
  });
  assert.equal(r.config, null);
  assert.equal(r.predicted, null);
  assert.deepEqual(r.feasible, []);
});

test('serving pipeline: the reply hop adds its delay to every request without occupying the instance; timer lateness widens only positive batch windows', () => {
  const profile = exponentialProfile(10, 5000);
  const config = {
    instances: 1,
    batch: { maxSize: 1, maxDelayMs: 0 },
    queue: { capacity: 0, timeoutMs: 0 },
  };
  const run = (replyMs: number) =>
    simulate({
      pipeline: servingPipeline(profile, config, { timerLateMs: 0.7, replyMs }),
      traffic: { model: 'poisson', rateRps: 50 },
      durationS: 200,
      seed: 1,
    });
  const a = run(0);
  const b = run(3);
  // Same seed, same arrivals and service draws: the hop shifts every latency by exactly 3 ms.
  assert.ok(Math.abs(b.latencyMs.mean - a.latencyMs.mean - 3) < 1e-6);
  assert.equal(b.stages[0].utilisation, a.stages[0].utilisation);
  const st = (d: number) =>
    servingPipeline(
      profile,
      { ...config, batch: { maxSize: 1, maxDelayMs: d } },
      {
        timerLateMs: 0.7,
        replyMs: 0,
      },
    ).stages[0];
  assert.equal(st(0).batch?.maxDelayMs, 0);
  assert.equal(st(2).batch?.maxDelayMs, 2.7);
  assert.equal(st(2).network, undefined);
});
