import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { drawMixup, Mcl, mixRows } from './mcl';
import { sampleBeta, sampleGamma } from './random-variates';

const close = (a: number, b: number, tol: number) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('mixup (Zhang et al. 2018): x = l x_i + (1 - l) x_j, y likewise, l ~ Beta(a, a)', () => {
  test('hand case: two one-hot rows mixed with l = 0.3', () => {
    const draw = { lambda: 0.3, partner: [1, 0] };
    const y = mixRows(Float32Array.from([1, 0, 0, 1]), 2, draw);
    // row 0: 0.3 [1, 0] + 0.7 [0, 1]; row 1: 0.3 [0, 1] + 0.7 [1, 0]
    [0.3, 0.7, 0.7, 0.3].forEach((v, i) => close(y[i], v, 1e-7));
    const x = mixRows(Float32Array.from([2, 4, 6, 10, 20, 30]), 3, draw);
    [0.6 + 7, 1.2 + 14, 1.8 + 21].forEach((v, i) => close(x[i], v, 1e-5));
  });

  test('labels stay distributions: every mixed row of one-hot labels sums to 1', () => {
    const rng = new Rng(7);
    const y = new Float32Array(8 * 5);
    for (let i = 0; i < 8; i++) y[i * 5 + (i % 5)] = 1;
    const mixed = mixRows(y, 5, drawMixup(rng, 0.4, 8));
    for (let i = 0; i < 8; i++)
      close(
        mixed.slice(i * 5, i * 5 + 5).reduce((a, b) => a + b, 0),
        1,
        1e-6,
      );
  });

  test('seeded: the same seed draws the same lambda and pairing', () => {
    assert.deepEqual(drawMixup(new Rng(3), 0.2, 16), drawMixup(new Rng(3), 0.2, 16));
    const d = drawMixup(new Rng(3), 0.2, 16);
    assert.deepEqual(
      [...d.partner].sort((a, b) => a - b),
      [...Array(16).keys()],
    );
  });

  test('Beta(a, a) moments: mean 1/2, variance 1 / (4 (2a + 1)); Gamma(k) mean k', () => {
    const rng = new Rng(11);
    for (const a of [0.2, 1, 2]) {
      const n = 20000;
      const xs = Array.from({ length: n }, () => sampleBeta(rng, a, a));
      const mean = xs.reduce((s, v) => s + v, 0) / n;
      const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
      close(mean, 0.5, 0.01);
      close(variance, 1 / (4 * (2 * a + 1)), 0.006);
    }
    const g = Array.from({ length: 20000 }, () => sampleGamma(rng, 0.5));
    close(g.reduce((s, v) => s + v, 0) / g.length, 0.5, 0.02);
  });

  test('MCL trains on mixup and averages weights', () => {
    const mcl = new Mcl({ localEpochs: 1, learningRate: 0.05, alpha: 0.4 });
    assert.equal(mcl.localPlan(0).mixupAlpha, 0.4);
    assert.equal(mcl.shares, 'weights');
  });
});
