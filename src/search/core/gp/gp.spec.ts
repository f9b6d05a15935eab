import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PARAMS, REF, X, Y } from '../../../../test/support/gp-reference';
import { assertGradientMatchesFiniteDifferences } from '../../../../test/support/gradient-check';
import { Rng } from '../../../platform/core/rng';
import { branin } from '../benchmarks/benchmark-functions';
import { InMemoryStudyStorage } from '../memory-storage';
import { Study } from '../study';
import { ConstrainedLogEi, logEi } from './acquisition';
import { GaussianProcess, logPosteriorAndGradient, logPrior, paramsFromRaw } from './gp';
import { constantLooLogDensity, gpLooLogDensity } from '../samplers/gp-fit-quality';
import { GpSampler, compressWorseHalf } from '../samplers/gp-sampler';
import { cholesky, inverseFromCholesky } from './linalg';
import { minimizeLbfgs } from './lbfgs';
import { normalCdf, normalPdf, standardLogEi } from './normal-tail';

describe('Gaussian process (reference: numpy, Rasmussen & Williams Alg. 2.1)', () => {
  test('posterior mean and variance match numpy to 1e-9 (Matern 5/2 ARD, Hamming on a categorical)', () => {
    const gp = new GaussianProcess(X, Y, REF.isCategorical, PARAMS);
    REF.queries.forEach((q, i) => {
      const p = gp.posterior(q);
      assert.ok(Math.abs(p.mean - REF.mean[i]) < 1e-9, `mean ${p.mean} vs ${REF.mean[i]}`);
      assert.ok(
        Math.abs(p.variance - REF.variance[i]) < 1e-9,
        `var ${p.variance} vs ${REF.variance[i]}`,
      );
    });
  });

  test('closed-form leave-one-out (R&W eq. 5.12) equals refitting without each point', () => {
    const gp = new GaussianProcess(X, Y, REF.isCategorical, PARAMS);
    const loo = gp.leaveOneOut();
    let logDensity = 0;
    let constant = 0;
    for (let i = 0; i < X.length; i++) {
      const keep = (_: unknown, j: number) => j !== i;
      const rest = new GaussianProcess(X.filter(keep), Y.filter(keep), REF.isCategorical, PARAMS);
      const p = rest.posterior(X[i]);
      const variance = p.variance + PARAMS.noiseVar; // predictive: observation noise included
      assert.ok(Math.abs(loo.mean[i] - p.mean) < 1e-9, `mean ${loo.mean[i]} vs ${p.mean}`);
      assert.ok(Math.abs(loo.variance[i] - variance) < 1e-9, `var ${loo.variance[i]}`);
      logDensity += -0.5 * (Math.log(2 * Math.PI * variance) + (Y[i] - p.mean) ** 2 / variance);
      const others = Array.from(Y.filter(keep));
      const m = others.reduce((a, v) => a + v, 0) / others.length;
      const v = others.reduce((a, u) => a + (u - m) ** 2, 0) / (others.length - 1);
      constant += -0.5 * (Math.log(2 * Math.PI * v) + (Y[i] - m) ** 2 / v);
    }
    assert.ok(Math.abs(gpLooLogDensity(gp) - logDensity / X.length) < 1e-9);
    assert.ok(Math.abs(constantLooLogDensity(Y) - constant / X.length) < 1e-9);
  });

  test('log marginal likelihood + Optuna prior match numpy', () => {
    const raw = [
      ...REF.lambda.map(Math.log),
      Math.log(REF.kernelScale),
      Math.log(REF.noiseVar - 1e-6),
    ];
    const { value } = logPosteriorAndGradient(X, Y, REF.isCategorical, raw, 1e-6);
    const p = paramsFromRaw(raw, 3, 1e-6);
    assert.ok(Math.abs(logPrior(p) - REF.logPrior) < 1e-9);
    assert.ok(Math.abs(value - (REF.logMarginalLikelihood + REF.logPrior)) < 1e-9);
  });

  test('the marginal-likelihood gradient agrees with central finite differences', () => {
    const raw = [0.3, -0.7, 0.2, 0.1, Math.log(0.05)];
    const { grad } = logPosteriorAndGradient(X, Y, REF.isCategorical, raw, 1e-6);
    for (let k = 0; k < raw.length; k++) {
      const h = 1e-6;
      const up = raw.slice();
      const dn = raw.slice();
      up[k] += h;
      dn[k] -= h;
      const fd =
        (logPosteriorAndGradient(X, Y, REF.isCategorical, up, 1e-6).value -
          logPosteriorAndGradient(X, Y, REF.isCategorical, dn, 1e-6).value) /
        (2 * h);
      assert.ok(
        Math.abs(fd - grad[k]) < 1e-5 * Math.max(1, Math.abs(fd)),
        `param ${k}: ${grad[k]} vs ${fd}`,
      );
    }
  });

  test('posterior mean / variance gradients agree with finite differences', () => {
    const gp = new GaussianProcess(X, Y, REF.isCategorical, PARAMS);
    const q = Float64Array.from([0.31, 0.62, 1]);
    const g = gp.posteriorWithGradient(q);
    for (const d of [0, 1]) {
      const up = Float64Array.from(q);
      const dn = Float64Array.from(q);
      up[d] += 1e-6;
      dn[d] -= 1e-6;
      const fm = (gp.posterior(up).mean - gp.posterior(dn).mean) / 2e-6;
      const fv = (gp.posterior(up).variance - gp.posterior(dn).variance) / 2e-6;
      assert.ok(Math.abs(fm - g.dMean[d]) < 1e-6, `dmean ${d}`);
      assert.ok(Math.abs(fv - g.dVariance[d]) < 1e-6, `dvar ${d}`);
    }
  });

  test('Cholesky inverse: A A^-1 = I; jitter makes a singular matrix factorable', () => {
    const a = Float64Array.from([4, 2, 0.6, 2, 2, 0.5, 0.6, 0.5, 3]);
    const inv = inverseFromCholesky(cholesky(a, 3).l, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += a[i * 3 + k] * inv[k * 3 + j];
        assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-12);
      }
    const singular = Float64Array.from([1, 1, 1, 1]);
    assert.ok(cholesky(singular, 2).jitter > 0);
  });
});

describe('expected improvement', () => {
  test('exp(log EI) equals the closed form sigma (z Phi(z) + phi(z)) computed by scipy', () => {
    for (const c of REF.ei) {
      const ei = Math.exp(logEi(c.mean, c.variance, c.f0));
      assert.ok(Math.abs(ei - c.ei) < 1e-9 * Math.max(1, c.ei) + 1e-15, `${ei} vs ${c.ei}`);
    }
  });

  test('log EI stays finite and follows the asymptote log phi(z) - 2 log|z| far in the tail', () => {
    // h(z) = log phi(z) + log(1/z^2 - 3/z^4 + 15/z^6 - ...) for z -> -inf (Ament et al. 2023).
    for (const z of [-10, -40, -1e3, -1e5]) {
      const asym =
        -0.5 * z * z -
        0.5 * Math.log(2 * Math.PI) +
        Math.log(1 / z ** 2 - 3 / z ** 4 + 15 / z ** 6);
      const h = standardLogEi(z);
      assert.ok(Number.isFinite(h));
      assert.ok(
        Math.abs(h - asym) < 1e-6 * Math.abs(asym) + (z === -10 ? 2e-3 : 1e-9),
        `${z}: ${h} vs ${asym}`,
      );
    }
    // Continuity across the switch at z = -3.
    assert.ok(Math.abs(standardLogEi(-3 - 1e-9) - standardLogEi(-3 + 1e-9)) < 1e-8);
    assert.ok(Math.abs(normalCdf(-3 - 1e-12) - normalCdf(-3 + 1e-12)) < 1e-14);
    assert.ok(Math.abs(normalPdf(0) - 1 / Math.sqrt(2 * Math.PI)) < 1e-16);
  });

  test('the constrained log EI gradient agrees with finite differences', () => {
    const gp = new GaussianProcess(X, Y, REF.isCategorical, PARAMS);
    const acq = new ConstrainedLogEi(gp, 0.8, [{ gp, threshold: -0.2 }]);
    const q = Float64Array.from([0.2, 0.9, 2]);
    assertGradientMatchesFiniteDifferences(acq, q, [0, 1]);
  });
});

describe('L-BFGS', () => {
  test('minimises the 2-D Rosenbrock function to its optimum (1, 1)', () => {
    const f = (x: Float64Array) => ({
      value: 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2,
      grad: Float64Array.from([
        -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]),
        200 * (x[1] - x[0] ** 2),
      ]),
    });
    const r = minimizeLbfgs(f, [-1.2, 1], { gtol: 1e-8, maxIter: 500, ftol: 0 });
    assert.ok(Math.abs(r.x[0] - 1) < 1e-5 && Math.abs(r.x[1] - 1) < 1e-5, `${r.x}`);
  });

  test('respects box bounds: the minimum of (x - 2)^2 on [0, 1] is at the bound 1', () => {
    const r = minimizeLbfgs(
      (x) => ({ value: (x[0] - 2) ** 2, grad: Float64Array.from([2 * (x[0] - 2)]) }),
      [0.3],
      {
        lower: [0],
        upper: [1],
      },
    );
    assert.equal(r.x[0], 1);
  });
});

describe('GpSampler', () => {
  test('tail compression keeps the better half and the order, and shrinks a heavy tail', () => {
    const scores = [-1e6, -50, -3, -2, -1, 0, 1];
    const c = compressWorseHalf(scores);
    // median -2, spread of the better half 3: -2 - 3 ln(1 + (m - s) / 3) below the median.
    assert.deepEqual(c.slice(3), [-2, -1, 0, 1]);
    assert.ok(Math.abs(c[2] - (-2 - 3 * Math.log1p(1 / 3))) < 1e-12);
    for (let i = 1; i < c.length; i++) assert.ok(c[i] > c[i - 1]);
    assert.ok(c[0] > -45, `compressed ${c[0]}`);
  });

  test('Branin: median regret after 30 trials below 0.05 over 3 seeds (random search: ~0.5)', async () => {
    const regrets: number[] = [];
    for (const seed of [0, 1, 2]) {
      const study = await Study.create(
        { storage: new InMemoryStudyStorage(), sampler: new GpSampler({ seed }) },
        { name: 'branin' },
      );
      await study.optimize((t) => branin(t.suggestFloat('x', -5, 10), t.suggestFloat('y', 0, 15)), {
        nTrials: 30,
      });
      regrets.push(((await study.bestTrial())?.values as number[])[0] - 0.397887);
    }
    regrets.sort((a, b) => a - b);
    assert.ok(regrets[1] < 0.05, `regrets ${regrets}`);
  });

  test('kriging believer: a batch of 4 asks with nothing told spreads out; without it the asks coincide', async () => {
    const spread = async (batch: string) => {
      const study = await Study.create(
        {
          storage: new InMemoryStudyStorage(),
          sampler: new GpSampler({ seed: 3, nStartupTrials: 5, batch }),
        },
        { name: 'batch' },
      );
      const rng = new Rng(1);
      for (let i = 0; i < 8; i++) {
        const t = await study.ask();
        const x = t.suggestFloat('x', 0, 1);
        await study.tell(t, (x - 0.3) ** 2 + 0.01 * rng.float());
      }
      const xs: number[] = [];
      for (let i = 0; i < 4; i++) {
        const t = await study.ask();
        xs.push(t.suggestFloat('x', 0, 1));
        await t.flush();
      }
      return Math.max(...xs) - Math.min(...xs);
    };
    const believer = await spread('kriging-believer');
    const none = await spread('none');
    assert.ok(believer > 100 * none && believer > 1e-3, `spread ${believer} vs ${none}`);
  });
});
