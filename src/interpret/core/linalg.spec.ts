import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../platform/core/rng';
import { ridgeFromGram, solve, weightedGram, weightedR2, weightedRidge } from './linalg';

describe('weightedRidge', () => {
  test('1-D weighted ridge equals the hand-solved normal equation (sum w xc^2 + alpha) b = sum w xc yc', () => {
    // xbar = 1.25, ybar = 2, sum w xc^2 = 2.75, sum w xc yc = 1 -> b = 1/3.75, c = 2 - 1.25 b.
    const fit = weightedRidge([[0], [1], [2]], [1, 3, 2], [1, 1, 2], 1);
    assert.ok(Math.abs(fit.coef[0] - 1 / 3.75) < 1e-12);
    assert.ok(Math.abs(fit.intercept - (2 - 1.25 / 3.75)) < 1e-12);
  });

  test("2-D ridge with alpha = 1 equals the hand-solved system (Xc'Xc + I) b = Xc'yc -> b = (0.5, 1), c = 0.75", () => {
    const x = [
      [1, 0],
      [0, 1],
      [1, 1],
      [0, 0],
    ];
    const fit = weightedRidge(x, [1, 2, 3, 0], [1, 1, 1, 1], 1);
    assert.ok(Math.abs(fit.coef[0] - 0.5) < 1e-12);
    assert.ok(Math.abs(fit.coef[1] - 1) < 1e-12);
    assert.ok(Math.abs(fit.intercept - 0.75) < 1e-12);
  });

  test('alpha = 0 recovers an exact linear relation y = 1 + 2 x1 - 3 x2 (ordinary least squares)', () => {
    const x = [
      [0, 1],
      [1, 0],
      [2, 2],
      [3, 1],
      [1, 4],
    ];
    const y = x.map(([a, b]) => 1 + 2 * a - 3 * b);
    const fit = weightedRidge(x, y, [1, 2, 1, 3, 1], 0);
    assert.ok(Math.abs(fit.coef[0] - 2) < 1e-9 && Math.abs(fit.coef[1] + 3) < 1e-9);
    assert.ok(Math.abs(fit.intercept - 1) < 1e-9);
  });

  test('solve() matches a hand-solved 3x3 system', () => {
    // 2x + y = 4, x + 3y + z = 10, y + 4z = 14 -> (1, 2, 3)
    const s = solve(
      [
        [2, 1, 0],
        [1, 3, 1],
        [0, 1, 4],
      ],
      [4, 10, 14],
    );
    assert.deepEqual(
      s.map((v) => Math.round(v * 1e9) / 1e9),
      [1, 2, 3],
    );
  });

  test('weighted R^2 equals the hand value 1 - 2/2.75 (sklearn r2_score with sample_weight)', () => {
    assert.ok(Math.abs(weightedR2([1, 2, 3], [1, 2, 2], [1, 1, 2]) - (1 - 2 / 2.75)) < 1e-12);
  });

  test('fits read from one weightedGram equal weightedRidge on the same columns (to rounding: a pair product may be taken in the other order)', () => {
    const rng = new Rng(5);
    const x = Array.from({ length: 200 }, () =>
      Float64Array.from({ length: 7 }, () => (rng.float() < 0.5 ? 1 : 0)),
    );
    const y = x.map((r) => 0.3 * r[0] - 0.2 * r[3] + 0.1 * rng.float());
    const w = x.map(() => rng.float());
    const gram = weightedGram(x, y, w);
    for (const [alpha, cols] of [
      [1, [0, 3, 5]],
      [0, [6, 1]],
      [0.01, undefined],
    ] as const) {
      const a = ridgeFromGram(gram, alpha, cols);
      const b = weightedRidge(x, y, w, alpha, cols);
      assert.equal(a.coef.length, b.coef.length);
      a.coef.forEach((c, j) => assert.ok(Math.abs(c - b.coef[j]) <= 1e-12 * Math.abs(b.coef[j])));
      assert.ok(Math.abs(a.intercept - b.intercept) <= 1e-12 * Math.abs(b.intercept));
    }
  });
});
