import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../platform/core/rng';
import { mixup, sampleBeta, sampleGamma } from './mixup';

describe('mixup (Zhang et al. 2018)', () => {
  test('outputs are the convex combination lambda x_i + (1 - lambda) x_perm(i), same lambda for x and y', () => {
    const x = [
      Float32Array.from([0, 1, 2]),
      Float32Array.from([10, 20, 30]),
      Float32Array.from([-1, -1, -1]),
    ];
    const y = [Float32Array.from([1, 0]), Float32Array.from([0, 1]), Float32Array.from([1, 0])];
    const out = mixup(x, y, 0.4, new Rng(3));
    assert.ok(out.lambda >= 0 && out.lambda <= 1);
    assert.deepEqual([...out.permutation].sort(), [0, 1, 2]);
    out.x.forEach((xi, i) => {
      const j = out.permutation[i];
      xi.forEach((v, d) =>
        assert.ok(Math.abs(v - (out.lambda * x[i][d] + (1 - out.lambda) * x[j][d])) < 1e-5),
      );
      const yi = out.y[i];
      assert.ok(Math.abs(yi[0] + yi[1] - 1) < 1e-6, 'mixed one-hot targets still sum to 1');
      yi.forEach((v, d) =>
        assert.ok(Math.abs(v - (out.lambda * y[i][d] + (1 - out.lambda) * y[j][d])) < 1e-6),
      );
    });
  });

  test('Beta(a, a) draws have mean 1/2 and variance 1 / (4 (2a + 1)) (closed form)', () => {
    for (const a of [0.2, 1, 4]) {
      const rng = new Rng(11);
      const n = 20000;
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < n; i++) {
        const v = sampleBeta(rng, a, a);
        assert.ok(v >= 0 && v <= 1);
        sum += v;
        sq += v * v;
      }
      const mean = sum / n;
      const variance = sq / n - mean * mean;
      const expected = 1 / (4 * (2 * a + 1));
      assert.ok(Math.abs(mean - 0.5) < 4 * Math.sqrt(expected / n), `a=${a} mean ${mean}`);
      assert.ok(
        Math.abs(variance - expected) / expected < 0.05,
        `a=${a} variance ${variance} vs ${expected}`,
      );
    }
  });

  test('Gamma(k) has mean k (Marsaglia-Tsang, incl. k < 1 boost)', () => {
    for (const k of [0.5, 2.5]) {
      const rng = new Rng(2);
      let sum = 0;
      const n = 20000;
      for (let i = 0; i < n; i++) sum += sampleGamma(rng, k);
      assert.ok(Math.abs(sum / n - k) < 4 * Math.sqrt(k / n), `k=${k}`);
    }
  });
});
