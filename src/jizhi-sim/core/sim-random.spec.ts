import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { SimRandom } from './sim-random';

test('xoshiro128** streams: same seed same stream, uniform mean 1/2 and variance 1/12', () => {
  const a = new SimRandom(new Rng(1));
  const b = new SimRandom(new Rng(1));
  const c = new SimRandom(new Rng(2));
  const xs = Array.from({ length: 5 }, () => a.float());
  assert.deepEqual(
    Array.from({ length: 5 }, () => b.float()),
    xs,
  );
  assert.notDeepEqual(
    Array.from({ length: 5 }, () => c.float()),
    xs,
  );
  let sum = 0;
  let sq = 0;
  const n = 1_000_000;
  for (let i = 0; i < n; i++) {
    const u = a.float();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    sq += u * u;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.002);
  assert.ok(Math.abs(sq / n - sum ** 2 / n ** 2 - 1 / 12) < 0.001);
});

test('ziggurat exponential: Kolmogorov-Smirnov against 1 - e^-x and mean 1, variance 1, tail P(X > 8) = e^-8', () => {
  const rng = new SimRandom(new Rng(7));
  const n = 200_000;
  const xs = new Float64Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) {
    xs[i] = rng.exponential();
    if (xs[i] > 8) tail++;
  }
  xs.sort();
  let d = 0;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const f = 1 - Math.exp(-xs[i]);
    d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
    sum += xs[i];
    sq += xs[i] * xs[i];
  }
  // 1.63 / sqrt(n) is the KS critical value at the 1% level.
  assert.ok(d < 1.63 / Math.sqrt(n), `KS distance ${d}`);
  const mean = sum / n;
  assert.ok(Math.abs(mean - 1) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(sq / n - mean * mean - 1) < 0.03, `variance ${sq / n - mean * mean}`);
  // e^-8 n = 67 expected beyond 8 (which needs the ziggurat's tail strip and wedges).
  assert.ok(tail > 67 - 4 * Math.sqrt(67) && tail < 67 + 4 * Math.sqrt(67), `tail ${tail}`);
});
