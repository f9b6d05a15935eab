import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PARAMS, REF, X, Y } from '../../../../test/support/gp-reference';
import { assertGradientMatchesFiniteDifferences } from '../../../../test/support/gradient-check';
import { Rng } from '../../../platform/core/rng';
import { InMemoryStudyStorage } from '../memory-storage';
import { Study } from '../study';
import { GpSampler } from '../samplers/gp-sampler';
import { ConstrainedLogEi, logEi } from './acquisition';
import { FantasyLogEi } from './fantasy-ei';
import { GaussianProcess } from './gp';
import { deltaSquared, matern52 } from './kernel';
import { cholesky, inverseFromCholesky } from './linalg';
import {
  FLAT_MODEL_LIPSCHITZ,
  LocallyPenalizedAcquisition,
  estimateLipschitz,
  logHammer,
  logHardHammer,
  penaltyDistance,
} from './local-penalization';

/** erfc by Simpson's rule on 2/sqrt(pi) exp(-t^2) (independent of normal-tail.ts). */
function erfc(z: number): number {
  const a = Math.min(z, 0);
  const b = Math.max(z, 0);
  const n = 20000;
  const h = (b - a) / n;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
    s += w * Math.exp(-((a + i * h) ** 2));
  }
  const integral = ((s * h) / 3) * (2 / Math.sqrt(Math.PI)); // erf(b) - erf(a)
  return z >= 0 ? 1 - integral : 1 + integral;
}

function finiteDifferenceCheck(acq: LocallyPenalizedAcquisition, q: Float64Array): void {
  assertGradientMatchesFiniteDifferences(acq, q, [0, 1]);
  assert.equal(acq.valueAndGradient(q).grad[2], 0, 'no gradient on the categorical dimension');
}

describe('local penalisation (González et al. 2016; Alvi et al. 2019)', () => {
  test("the soft penaliser is the paper's 1/2 erfc(-z), z = (L ||x - x_j|| - M + mu_j) / sqrt(2 sigma_j^2)", () => {
    for (const [d, mean, sd, l, m] of [
      [0, 0.5, 0.2, 3, 1],
      [0.1, 0.5, 0.2, 3, 1],
      [0.3, -1, 0.05, 7, 1.2],
      [0.02, 1.5, 0.3, 2, 1], // a pending point predicted above the best: phi(x_j) > 1/2
      [1, 0, 1, 0.5, 0.4],
    ]) {
      const z = (l * d - m + mean) / Math.sqrt(2 * sd * sd);
      const paper = 0.5 * erfc(-z);
      const ours = Math.exp(logHammer(d, { mean, sd }, l, m));
      assert.ok(Math.abs(ours - paper) < 1e-9, `d=${d}: ${ours} vs ${paper}`);
    }
  });

  test("the hard penaliser is Alvi et al.'s ((d / (r + s))^-5 + 1)^(-1/5), r = |M - mu| / L, s = sigma / L", () => {
    for (const [d, mean, sd, l, m] of [
      [0.05, 0.5, 0.2, 3, 1],
      [0.4, 0.5, 0.2, 3, 1],
      [0.1, 1.5, 0.3, 2, 1],
    ]) {
      const radius = Math.abs(m - mean) / l + sd / l;
      const closed = ((d / radius) ** -5 + 1) ** (-1 / 5);
      const ours = Math.exp(logHardHammer(d, { mean, sd }, l, m));
      assert.ok(Math.abs(ours - closed) < 1e-12, `${ours} vs ${closed}`);
    }
    assert.equal(
      logHardHammer(0, { mean: 0, sd: 1 }, 1, 1),
      -Infinity,
      'zero at the pending point',
    );
    assert.ok(logHardHammer(10, { mean: 0, sd: 0.1 }, 5, 1) > -1e-6, '~1 far outside the ball');
  });

  test('distance: Euclidean on numeric dimensions, 0/1 on categorical ones', () => {
    const cat = [false, false, true];
    assert.equal(penaltyDistance([0, 0, 1], [0.3, 0.4, 1], cat), 0.5);
    assert.equal(penaltyDistance([0, 0, 1], [0, 0, 2], cat), 1);
  });

  test('the penalised log EI adds the log penalties, and its gradient agrees with finite differences', () => {
    const gp = new GaussianProcess(X, Y, REF.isCategorical, PARAMS);
    const base = new ConstrainedLogEi(gp, 0.8);
    const pending = [Float64Array.from([0.25, 0.85, 2]), Float64Array.from([0.7, 0.1, 0])];
    for (const kind of ['soft', 'hard'] as const) {
      const acq = LocallyPenalizedAcquisition.around(base, gp, pending, 2.5, 0.8, kind);
      const q = Float64Array.from([0.2, 0.9, 2]);
      let expected = base.value(q);
      for (const p of pending) {
        const post = gp.posterior(p);
        const c = { mean: post.mean, sd: Math.sqrt(post.variance + PARAMS.noiseVar + 1e-12) };
        const d = penaltyDistance(q, p, REF.isCategorical);
        expected += (kind === 'soft' ? logHammer : logHardHammer)(d, c, 2.5, 0.8);
      }
      assert.ok(Math.abs(acq.value(q) - expected) < 1e-12);
      finiteDifferenceCheck(acq, q);
      finiteDifferenceCheck(acq, Float64Array.from([0.66, 0.2, 0]));
    }
  });

  test('L is the largest gradient norm of the posterior mean: ~3 for a GP on y = 3 x', () => {
    const xs = Array.from({ length: 11 }, (_, i) => Float64Array.from([i / 10]));
    const gp = new GaussianProcess(
      xs,
      Float64Array.from(xs, (x) => 3 * x[0]),
      [false],
      {
        inverseSquaredLengthscales: Float64Array.from([0.5]),
        kernelScale: 4,
        noiseVar: 1e-6,
      },
    );
    const l = estimateLipschitz(gp, [undefined], new Rng(1));
    assert.ok(l > 2.9 && l < 3.6, `L = ${l}`);
    // Reproducible from the seed.
    assert.equal(estimateLipschitz(gp, [undefined], new Rng(1)), l);
    // A flat model falls back to GPyOpt's L = 10.
    const flat = new GaussianProcess(xs, new Float64Array(11), [false], gp.params);
    assert.equal(estimateLipschitz(flat, [undefined], new Rng(1)), FLAT_MODEL_LIPSCHITZ);
  });
});

describe('GpSampler batch rules', () => {
  /** 8 told trials of a 2-D quadratic, then 4 asks with nothing told. */
  async function batch(settings: Record<string, unknown>): Promise<number[][]> {
    const study = await Study.create(
      {
        storage: new InMemoryStudyStorage(),
        sampler: new GpSampler({ seed: 3, nStartupTrials: 5, ...settings }),
      },
      { name: 'batch' },
    );
    const rng = new Rng(1);
    for (let i = 0; i < 8; i++) {
      const t = await study.ask();
      const x = t.suggestFloat('x', 0, 1);
      const y = t.suggestFloat('y', 0, 1);
      await study.tell(t, (x - 0.3) ** 2 + (y - 0.6) ** 2 + 0.01 * rng.float());
    }
    const out: number[][] = [];
    for (let i = 0; i < 4; i++) {
      const t = await study.ask();
      out.push([t.suggestFloat('x', 0, 1), t.suggestFloat('y', 0, 1)]);
      await t.flush();
    }
    return out;
  }

  for (const rule of ['fantasy-ei', 'local-penalization', 'hard-local-penalization']) {
    test(`${rule}: a batch of 4 pending asks spreads out, and the same seed gives the same batch`, async () => {
      const a = await batch({ batch: rule });
      const none = await batch({ batch: 'none' });
      const minGap = (pts: number[][]) =>
        Math.min(
          ...pts.flatMap((p, i) =>
            pts.slice(i + 1).map((q) => Math.hypot(p[0] - q[0], p[1] - q[1])),
          ),
        );
      assert.ok(
        minGap(a) > 1e-3 && minGap(a) > 100 * minGap(none),
        `${minGap(a)} vs ${minGap(none)}`,
      );
      assert.deepEqual(await batch({ batch: rule }), a);
    });
  }

  test('an unknown batch rule is refused, naming the setting', () => {
    assert.throws(() => new GpSampler({ batch: 'qei' }), /batch/);
  });
});

describe('fantasy log EI (sequential-greedy q-EI over fantasies of the pending values)', () => {
  const gp = new GaussianProcess(X, Y, REF.isCategorical, PARAMS);
  const pending = [Float64Array.from([0.25, 0.85, 2]), Float64Array.from([0.4, 0.5, 1])];

  /** Posterior covariance of the latent values at a and b (complete data only). */
  function postCov(a: Float64Array, b: Float64Array): number {
    const n = X.length;
    const kern = (u: ArrayLike<number>, v: ArrayLike<number>) => {
      let r2 = 0;
      for (let d = 0; d < u.length; d++)
        r2 += PARAMS.inverseSquaredLengthscales[d] * deltaSquared(u[d], v[d], REF.isCategorical[d]);
      return PARAMS.kernelScale * matern52(r2);
    };
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) k[i * n + j] = kern(X[i], X[j]) + (i === j ? PARAMS.noiseVar : 0);
    const inv = inverseFromCholesky(cholesky(k, n).l, n);
    let s = kern(a, b);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) s -= kern(a, X[i]) * inv[i * n + j] * kern(X[j], b);
    return s;
  }

  test('exp(value) is E[max(f(x), M_s) - M_s] under the joint posterior: brute-force Monte-Carlo', () => {
    const f0 = -0.5;
    const acq = new FantasyLogEi(gp, pending, f0, new Rng(5), 4096);
    for (const x of [
      [0.2, 0.7, 2],
      [0.9, 0.9, 1],
      [0.1, 0.1, 2],
    ].map((a) => Float64Array.from(a))) {
      // Joint posterior of (f_r1, f_r2, f_x), sampled directly by its Cholesky factor.
      const pts = [...pending, x];
      const cov = new Float64Array(9);
      pts.forEach((a, i) => pts.forEach((b, j) => (cov[i * 3 + j] = postCov(a, b))));
      const l = cholesky(cov, 3).l;
      const mean = pts.map((p) => gp.posterior(p).mean);
      const rng = new Rng(9);
      let sum = 0;
      const n = 400000;
      for (let s = 0; s < n; s++) {
        const e = [rng.normal(), rng.normal(), rng.normal()];
        const f = mean.map(
          (m, i) => m + l[i * 3] * e[0] + l[i * 3 + 1] * e[1] + l[i * 3 + 2] * e[2],
        );
        const ms = Math.max(f0, f[0], f[1]);
        sum += Math.max(f[2] - ms, 0);
      }
      const mc = sum / n;
      const ours = Math.exp(acq.value(x));
      // Both estimates carry sampling error (4096 fantasies here, 400k joint draws there).
      assert.ok(Math.abs(ours - mc) < 0.08 * mc, `${ours} vs ${mc}`);
    }
  });

  test('its gradient agrees with finite differences; the same rng gives the same acquisition', () => {
    const acq = new FantasyLogEi(gp, pending, 0.8, new Rng(2), 64);
    for (const q of [Float64Array.from([0.2, 0.9, 2]), Float64Array.from([0.66, 0.2, 0])]) {
      assertGradientMatchesFiniteDifferences(acq, q, [0, 1]);
      assert.equal(new FantasyLogEi(gp, pending, 0.8, new Rng(2), 64).value(q), acq.value(q));
    }
  });

  test('a pending point far from x (no correlation) leaves log EI against M_s, never below log EI against M', () => {
    const far = [Float64Array.from([0.99, 0.01, 0])];
    const acq = new FantasyLogEi(gp, far, 0.8, new Rng(3), 256);
    const x = Float64Array.from([0.2, 0.9, 2]);
    const p = gp.posterior(x);
    const expected = Math.log(
      Array.from(acq.thresholds, (m) => Math.exp(logEi(p.mean, p.variance, m))).reduce(
        (a, b) => a + b,
      ) / acq.thresholds.length,
    );
    assert.ok(Math.abs(acq.value(x) - expected) < 5e-3, `${acq.value(x)} vs ${expected}`);
    // E_s EI(mu_s, v; M) = EI(mu, sigma^2; M) (total expectation) and M_s >= M, up to sampling error.
    assert.ok(acq.value(x) <= logEi(p.mean, p.variance, 0.8) + 0.05);
  });
});
