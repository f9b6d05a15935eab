import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { SimRandom } from './sim-random';
import { EmpiricalService, LogNormalService } from './service-time';

describe('service-time models', () => {
  test('empirical profile: mean and quantiles interpolate linearly in batch size (hand-computed)', () => {
    // Rows: b=1 -> {1, 3} ms (mean 2), b=5 -> {5, 11} ms (mean 8). For b=2 (w = 1/4) the mean is
    // 2 + (8 - 2) / 4 = 3.5 ms; draws span 1 + (5 - 1) / 4 = 2 ms (u -> 0) to 3 + (11 - 3) / 4 = 5 ms (u -> 1).
    const s = new EmpiricalService([
      { batchSize: 5, latenciesMs: [11, 5] },
      { batchSize: 1, latenciesMs: [3, 1] },
    ]);
    assert.ok(Math.abs(s.mean(2) - 0.0035) < 1e-12);
    assert.ok(Math.abs(s.mean(1) - 0.002) < 1e-12);
    assert.ok(Math.abs(s.mean(5) - 0.008) < 1e-12);
    const rng = new SimRandom(new Rng(3));
    let lo = Infinity;
    let hi = 0;
    let sum = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = s.sample(2, rng);
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      sum += x;
    }
    assert.ok(lo >= 0.002 - 1e-12 && hi <= 0.005 + 1e-12, `range [${lo}, ${hi}]`);
    // With two samples per row the quantile is linear in u, so draws average to the 3.5 ms mean.
    assert.ok(Math.abs(sum / n - 0.0035) < 0.00001, `mean ${sum / n}`);
  });

  test('log-normal keeps the linear mean fixed + perItem * b and the requested CV (sigma^2 = ln(1 + cv^2))', () => {
    const s = new LogNormalService(0.004, 0.001, 0.5);
    const rng = new SimRandom(new Rng(9));
    const n = 400_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = s.sample(4, rng);
      sum += x;
      sq += x * x;
    }
    const mean = sum / n;
    const cv = Math.sqrt(sq / n - mean * mean) / mean;
    assert.ok(Math.abs(mean - 0.008) / 0.008 < 0.005, `mean ${mean}`);
    assert.ok(Math.abs(cv - 0.5) < 0.01, `cv ${cv}`);
  });
});
