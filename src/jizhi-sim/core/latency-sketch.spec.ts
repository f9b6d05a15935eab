import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { LatencySketch } from './latency-sketch';

/** Exact type-7 quantile of sorted data (numpy's default), the reference of the sketch. */
function exactQuantile(sorted: Float64Array, q: number): number {
  const x = q * (sorted.length - 1);
  const i = Math.floor(x);
  return i + 1 < sorted.length ? sorted[i] + (x - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

const QS = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1];

test('DDSketch guarantee: every rank and quantile within the relative accuracy of the exact one (exponential, log-normal, Pareto, 6 decades)', () => {
  const rng = new Rng(3);
  const draws: Record<string, () => number> = {
    exponential: () => -Math.log(1 - rng.float()) * 0.01,
    lognormal: () => 0.02 * Math.exp(1.5 * rng.normal()),
    pareto: () => 0.001 * Math.pow(1 - rng.float(), -1 / 1.2),
    decades: () => Math.pow(10, -6 + 6 * rng.float()),
  };
  for (const accuracy of [0.001, 0.01]) {
    for (const [name, draw] of Object.entries(draws)) {
      const sketch = new LatencySketch(accuracy);
      const xs = new Float64Array(100_000);
      for (let i = 0; i < xs.length; i++) {
        xs[i] = draw();
        sketch.add(xs[i]);
      }
      xs.sort();
      for (let r = 0; r < xs.length; r += 997) {
        const est = sketch.valueAtRank(r);
        assert.ok(
          Math.abs(est - xs[r]) <= accuracy * xs[r] * (1 + 1e-12),
          `${name} a=${accuracy} rank ${r}: ${est} vs ${xs[r]}`,
        );
      }
      for (const q of QS) {
        const exact = exactQuantile(xs, q);
        const est = sketch.quantile(q);
        assert.ok(
          Math.abs(est - exact) <= accuracy * exact * (1 + 1e-12),
          `${name} a=${accuracy} q=${q}: ${est} vs ${exact}`,
        );
      }
      assert.equal(sketch.count, xs.length);
      assert.equal(sketch.max, xs[xs.length - 1]);
      assert.equal(sketch.min, xs[0]);
    }
  }
});

test('merging sketches equals sketching the union (pooled seeds), and zeros and constants are exact', () => {
  const rng = new Rng(9);
  const parts = [new LatencySketch(), new LatencySketch(), new LatencySketch()];
  const all = new LatencySketch();
  for (let i = 0; i < 30_000; i++) {
    // Each part on its own scale, so the merge must grow the store in both directions.
    const k = i % 3;
    const x = -Math.log(1 - rng.float()) * [0.001, 0.1, 10][k];
    parts[k].add(x);
    all.add(x);
  }
  const merged = new LatencySketch();
  for (const p of parts) merged.merge(p);
  for (const q of QS) assert.equal(merged.quantile(q), all.quantile(q), `q=${q}`);
  assert.equal(merged.count, all.count);
  assert.equal(merged.max, all.max);
  assert.throws(() => merged.merge(new LatencySketch(0.01)), /cannot merge/);

  const constant = new LatencySketch();
  for (let i = 0; i < 5; i++) constant.add(0.01);
  assert.equal(constant.quantile(0.5), 0.01);
  const zeros = new LatencySketch();
  zeros.add(0);
  zeros.add(0);
  zeros.add(2);
  assert.equal(zeros.quantile(0.5), 0);
  assert.equal(zeros.quantile(1), 2);
  assert.equal(new LatencySketch().quantile(0.99), 0);
});
