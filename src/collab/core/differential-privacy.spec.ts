import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { gaussianRdpEpsilon, privatiseUpdate } from './differential-privacy';

const close = (a: number, b: number, tol: number) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('DP on shared updates: clip + Gaussian noise, RDP accounting (Mironov 2017)', () => {
  test('epsilon over a grid of orders is at least the continuous optimum T/(2 s^2) + sqrt(2 T ln(1/d))/s, and close', () => {
    // f(a) = T a / (2 s^2) + ln(1/d) / (a - 1) is minimal at a* = 1 + sqrt(2 s^2 ln(1/d) / T)
    for (const [sigma, rounds, delta] of [
      [1, 10, 1e-5],
      [2, 50, 1e-6],
      [0.8, 3, 1e-3],
    ]) {
      const bound = rounds / (2 * sigma ** 2) + Math.sqrt(2 * rounds * Math.log(1 / delta)) / sigma;
      const { epsilon } = gaussianRdpEpsilon(sigma, rounds, delta);
      assert.ok(epsilon >= bound - 1e-9, `${epsilon} < ${bound}`);
      assert.ok(epsilon <= bound * 1.02, `${epsilon} vs ${bound}`);
    }
    // hand-computed: sigma 1, 10 rounds, delta 1e-5 at the grid's order 2.5: 12.5 + ln(1e5) / 1.5
    const r = gaussianRdpEpsilon(1, 10, 1e-5);
    assert.equal(r.order, 2.5);
    close(r.epsilon, 12.5 + Math.log(1e5) / 1.5, 1e-12);
    assert.equal(gaussianRdpEpsilon(1, 0, 1e-5).epsilon, 0);
  });

  test('clipping: [3, 4] clipped to norm 1 is [0.6, 0.8]; the noise has std sigma C', () => {
    const tiny = privatiseUpdate(
      [Float32Array.from([3, 4])],
      { clipNorm: 1, noiseMultiplier: 1e-9, delta: 1e-5 },
      new Rng(1),
    );
    close(tiny[0][0], 0.6, 1e-6);
    close(tiny[0][1], 0.8, 1e-6);
    const zeros = [new Float32Array(20000)];
    const noised = privatiseUpdate(
      zeros,
      { clipNorm: 0.5, noiseMultiplier: 2, delta: 1e-5 },
      new Rng(2),
    )[0];
    const std = Math.sqrt(noised.reduce((s, v) => s + v * v, 0) / noised.length);
    close(std, 1, 0.02); // sigma C = 2 * 0.5
  });

  test('bad settings name the field', () => {
    assert.throws(() => gaussianRdpEpsilon(0, 1, 1e-5), /noiseMultiplier/);
    assert.throws(() => gaussianRdpEpsilon(1, 1, 1), /delta/);
  });
});
