import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import {
  DEFAULT_PROFILE_OPTIONS,
  p99BootstrapRelCi,
  profileService,
  profileRule,
} from './service-profile';

test('p99 bootstrap CI matches the asymptotic normal CI of a sample quantile (exponential, n = 2000)', () => {
  // Sample p-quantile: sd = sqrt(p (1 - p) / n) / f(q_p) (van der Vaart, Asymptotic Statistics,
  // Cor. 21.5). Exp(1): q99 = ln 100, f(q99) = 0.01, so the 95% half-width relative to q99 is
  // 1.96 sqrt(0.0099 / 2000) / 0.01 / ln 100 = 0.0947.
  const rng = new Rng(3);
  const expected = (1.96 * Math.sqrt(0.0099 / 2000)) / 0.01 / Math.log(100);
  const reps: number[] = [];
  for (let k = 0; k < 5; k++) {
    const xs = Array.from({ length: 2000 }, () => rng.exponential(1));
    reps.push(p99BootstrapRelCi(xs, rng, 300));
  }
  const mean = reps.reduce((a, x) => a + x, 0) / reps.length;
  assert.ok(Math.abs(mean / expected - 1) < 0.25, `bootstrap ${mean} vs asymptotic ${expected}`);
});

test('profiling discards the warm-up, stops once the p99 CI is within 5%, and covers every batch size', async () => {
  const rng = new Rng(9);
  const calls: number[] = [];
  // A cold first few batches (10x slower) that the warm-up must discard; then 2 + 0.5 b ms with
  // 10% uniform jitter (a light tail, so the p99 settles after a few hundred samples).
  const measure = (b: number): Promise<number[]> => {
    calls.push(b);
    const cold = calls.filter((x) => x === b).length <= 5 ? 10 : 1;
    return Promise.resolve([cold * (2 + 0.5 * b) * (0.95 + 0.1 * rng.float())]);
  };
  let t = 0;
  const progress: number[] = [];
  const p = await profileService(
    measure,
    { ...DEFAULT_PROFILE_OPTIONS, batchSizes: [4, 1, 2], warmup: 5 },
    { now: () => (t += 1), onProgress: (f) => void progress.push(f) },
  );
  assert.deepEqual(
    p.rows.map((r) => r.batchSize),
    [1, 2, 4],
  );
  for (const r of p.rows) {
    assert.ok(r.converged, `batch ${r.batchSize}: rel CI ${r.p99RelCi}`);
    assert.ok(r.p99RelCi <= 0.05);
    assert.ok(r.latenciesMs.length >= 200 && r.latenciesMs.length % 100 === 0);
    // No cold sample survived the warm-up: every one is within the jitter of 2 + 0.5 b.
    const m = 2 + 0.5 * r.batchSize;
    assert.ok(r.latenciesMs.every((x) => x >= 0.95 * m && x <= 1.05 * m));
    assert.ok(Math.abs(r.meanMs / m - 1) < 0.01);
  }
  // Capacity per instance: the best of b / mean(b) = 4 / 4 ms = 1000 req/s.
  assert.ok(Math.abs(p.capacityPerInstanceRps / 1000 - 1) < 0.01);
  assert.equal(progress[progress.length - 1], 1);
  assert.match(profileRule(DEFAULT_PROFILE_OPTIONS), /95% bootstrap CI .* within \+-5\.0%/);
});

test('a heavy tail that never settles stops at maxSamples and says converged: false', async () => {
  const rng = new Rng(1);
  // Pareto with shape 1.1: the p99 CI stays wide for thousands of samples.
  const measure = (): Promise<number[]> => Promise.resolve([Math.pow(1 - rng.float(), -1 / 1.1)]);
  const p = await profileService(
    measure,
    { ...DEFAULT_PROFILE_OPTIONS, batchSizes: [1], warmup: 0, maxSamples: 400 },
    { now: () => 0 },
  );
  assert.equal(p.rows[0].latenciesMs.length, 400);
  assert.equal(p.rows[0].converged, false);
  assert.ok(p.rows[0].p99RelCi > 0.05);
});

test('profile options are checked with the argument named', async () => {
  const measure = (): Promise<number[]> => Promise.resolve([1]);
  await assert.rejects(
    profileService(measure, { ...DEFAULT_PROFILE_OPTIONS, batchSizes: [1, 1] }, { now: () => 0 }),
    /batchSizes must be distinct/,
  );
  await assert.rejects(
    profileService(measure, { ...DEFAULT_PROFILE_OPTIONS, minSamples: 5 }, { now: () => 0 }),
    /minSamples/,
  );
});
