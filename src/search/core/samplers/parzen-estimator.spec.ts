import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../../platform/core/rng';
import { categoricalDistribution, floatDistribution, intDistribution } from '../distributions';
import { ParzenEstimator, ParzenParameters } from './parzen-estimator';
import { defaultWeights } from './tpe';

const P: ParzenParameters = {
  priorWeight: 1,
  considerMagicClip: true,
  considerEndpoints: false,
};
const UNIT = floatDistribution(0, 1);

describe('Parzen estimator (Optuna 5 _ParzenEstimator)', () => {
  test('one observation at the centre: sigma = gap to the bounds plus the prior kernel, density hand-computed', () => {
    // The observation's neighbours are the bounds (Optuna 5 no longer counts the prior mean): sigma
    // = max(0.5, 0.5) = 0.5, inside the magic clip [1/3, 1]; the prior has sigma 1. Weights 1/2.
    // p(0.5) = 0.5 * phi(0)/0.5 / (Phi(1) - Phi(-1)) + 0.5 * phi(0) / (Phi(0.5) - Phi(-0.5))
    //        = 0.5 * 0.797885 / 0.682689 + 0.5 * 0.398942 / 0.382925 = 1.105283
    const pe = new ParzenEstimator([[0.5]], [UNIT], [1], P);
    const [lp] = pe.logPdf([[0.5]]);
    assert.ok(Math.abs(Math.exp(lp) - 1.1052830558552933) < 1e-12, String(Math.exp(lp)));
  });

  test('categorical kernels: prior_weight / n_kernels on every choice plus 1 on the observed one', () => {
    // obs = [choice 0], 3 choices: kernel 0 = [1.5, 0.5, 0.5] / 2.5; prior kernel uniform; weights 1/2.
    const pe = new ParzenEstimator([[0]], [categoricalDistribution(['a', 'b', 'c'])], [1], P);
    const p = pe.logPdf([[0, 1, 2]]).map(Math.exp);
    assert.ok(Math.abs(p[0] - (0.5 * 0.6 + 0.5 / 3)) < 1e-12);
    assert.ok(Math.abs(p[1] - (0.5 * 0.2 + 0.5 / 3)) < 1e-12);
    assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-12);
  });

  test('continuous density integrates to 1 over the bounds; discrete masses sum to 1', () => {
    const obs = [[0.1, 0.15, 0.7, 0.95]];
    const pe = new ParzenEstimator(obs, [UNIT], [1, 1, 1, 1], P);
    const n = 20000;
    const xs = Array.from({ length: n }, (_, i) => (i + 0.5) / n);
    const integral = pe.logPdf([xs]).reduce((s, l) => s + Math.exp(l), 0) / n;
    assert.ok(Math.abs(integral - 1) < 1e-4, String(integral));
    const disc = new ParzenEstimator([[2, 3, 9]], [intDistribution(0, 10)], [1, 1, 1], P);
    const mass = disc
      .logPdf([Array.from({ length: 11 }, (_, i) => i)])
      .reduce((s, l) => s + Math.exp(l), 0);
    assert.ok(Math.abs(mass - 1) < 1e-6, String(mass));
  });

  test('samples stay in bounds and on the step grid', () => {
    const pe = new ParzenEstimator([[0, 10]], [intDistribution(0, 10, { step: 2 })], [1, 1], P);
    const [xs] = pe.sample(new Rng(1), 500);
    assert.ok(xs.every((x) => x >= 0 && x <= 10 && x % 2 === 0));
  });

  test('default weights: flat below 25 observations, then a linear ramp from 1/n for the oldest', () => {
    assert.deepEqual(defaultWeights(3), [1, 1, 1]);
    const w = defaultWeights(30);
    assert.equal(w.length, 30);
    assert.ok(Math.abs(w[0] - 1 / 30) < 1e-12);
    assert.equal(w[4], 1);
    assert.ok(w.slice(5).every((x) => x === 1));
  });
});
