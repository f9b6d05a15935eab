/**
 * Log EI of the next point given pending (running) trials, averaged over fantasies of their
 * outcomes: the sequential-greedy q-EI that Optuna 5's GPSampler uses (acqf.py qLogEI with
 * gp.py ConditionalGPRegressor: the pending points' latent values are drawn `samples` times from
 * their joint posterior, and the next point is scored under the GP conditioned on each draw),
 * with the next point's own value integrated in closed form instead of sampled:
 *
 *   q-EI(x) = E_s[max(f(x), M_s)] - M = (mean_s M_s - M) + mean_s EI(x; mu_s(x), v(x), M_s),
 *
 * M the incumbent, f_r^s the s-th fantasy of the pending values, M_s = max(M, max_r f_r^s),
 * mu_s(x) = mu(x) + c(x)^T S^-1 (f_r^s - mu_r) and v(x) = sigma^2(x) - c(x)^T S^-1 c(x) with
 * c(x) the posterior covariance between x and the pending points and S theirs (the standard
 * conditional of a joint normal). The first term does not depend on x, so the acquisition is
 * log mean_s EI_s(x), smooth, never exactly zero (Optuna samples f(x) too, so its estimate is 0
 * wherever no sample of f(x) improves, and its gradient vanishes there), and equal to log EI
 * without pending trials.
 */
import { Rng } from '../../../platform/core/rng';
import { Acquisition, ConstrainedLogEi } from './acquisition';
import { GaussianProcess } from './gp';
import { deltaSquared, matern52, matern52Derivative } from './kernel';
import { cholesky, solveLower, solveUpper } from './linalg';
import { dStandardLogEi, standardLogEi } from './normal-tail';

/** Optuna's n_qmc_samples for qLogEI. */
export const FANTASY_SAMPLES = 128;
const STABILIZING_NOISE = 1e-12;

export class FantasyLogEi implements Acquisition {
  private readonly q: number;
  /** V = K^-1 k(X, X_r), n x q, column r at [r]. */
  private readonly v: Float64Array[];
  /** Cholesky factor of the pending points' posterior covariance S (q x q). */
  private readonly lr: Float64Array;
  /** w_s = S^-1 (f_r^s - mu_r) = L_r^-T eps_s, per fantasy. */
  private readonly w: Float64Array[];
  /** M_s = max(M, max_r f_r^s), per fantasy. */
  readonly thresholds: Float64Array;
  /** Log PoF terms of the constraints (ConstrainedLogEi without an incumbent). */
  private readonly feasibility?: ConstrainedLogEi;
  private readonly noGrad = new Float64Array(0);

  constructor(
    private readonly gp: GaussianProcess,
    private readonly pending: readonly Float64Array[],
    f0: number,
    rng: Rng,
    samples = FANTASY_SAMPLES,
    constraints: ConstructorParameters<typeof ConstrainedLogEi>[2] = [],
  ) {
    const q = (this.q = pending.length);
    const n = gp.n;
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        const c = this.kernel(gp.x[i], gp.x[j]) + (i === j ? gp.params.noiseVar : 0);
        k[i * n + j] = c;
        k[j * n + i] = c;
      }
    const { l } = cholesky(k, n);
    this.v = pending.map((r) =>
      solveUpper(
        l,
        n,
        solveLower(
          l,
          n,
          Float64Array.from(gp.x, (xi) => this.kernel(xi, r)),
        ),
      ),
    );
    const s = new Float64Array(q * q);
    const mu = pending.map((r) => gp.posterior(r).mean);
    for (let a = 0; a < q; a++)
      for (let b = 0; b <= a; b++) {
        let kv = 0;
        for (let i = 0; i < n; i++) kv += this.kernel(pending[a], gp.x[i]) * this.v[b][i];
        const c = this.kernel(pending[a], pending[b]) - kv + (a === b ? STABILIZING_NOISE : 0);
        s[a * q + b] = c;
        s[b * q + a] = c;
      }
    this.lr = cholesky(s, q).l;
    this.w = [];
    this.thresholds = new Float64Array(samples);
    for (let t = 0; t < samples; t++) {
      const eps = Float64Array.from({ length: q }, () => rng.normal());
      let m = f0;
      for (let a = 0; a < q; a++) {
        let f = mu[a];
        for (let b = 0; b <= a; b++) f += this.lr[a * q + b] * eps[b];
        m = Math.max(m, f);
      }
      this.thresholds[t] = m;
      this.w.push(solveUpper(this.lr, q, eps));
    }
    if (constraints.length) this.feasibility = new ConstrainedLogEi(gp, -Infinity, constraints);
  }

  value(x: Float64Array): number {
    return this.evaluate(x, false).value;
  }

  valueAndGradient(x: Float64Array): { value: number; grad: Float64Array } {
    return this.evaluate(x, true) as { value: number; grad: Float64Array };
  }

  private evaluate(x: Float64Array, withGrad: boolean): { value: number; grad?: Float64Array } {
    const { gp, q } = this;
    const dim = gp.dim;
    const p = withGrad
      ? gp.posteriorWithGradient(x)
      : { ...gp.posterior(x), dMean: [], dVariance: [] };
    // c(x) = k(x, X_r) - k(x, X) V and its gradient.
    const c = new Float64Array(q);
    // Small typed arrays are costly to allocate: the value path (most calls) needs none of these.
    const dc = withGrad ? Array.from({ length: q }, () => new Float64Array(dim)) : [];
    for (let a = 0; a < q; a++)
      c[a] = withGrad
        ? this.kernelGrad(x, this.pending[a], 1, dc[a])
        : this.kernel(x, this.pending[a]);
    const g = withGrad ? new Float64Array(dim) : this.noGrad;
    for (let i = 0; i < gp.n; i++) {
      if (withGrad) g.fill(0);
      const ki = withGrad ? this.kernelGrad(x, gp.x[i], 1, g) : this.kernel(x, gp.x[i]);
      for (let a = 0; a < q; a++) {
        const via = this.v[a][i];
        c[a] -= via * ki;
        if (withGrad) for (let d = 0; d < dim; d++) dc[a][d] -= via * g[d];
      }
    }
    const half = solveLower(this.lr, q, c);
    const u = solveUpper(this.lr, q, half); // S^-1 c
    let cv = p.variance;
    for (const h of half) cv -= h * h;
    const sigma = Math.sqrt(Math.max(cv, 0) + STABILIZING_NOISE);
    // d sigma / dx = (dVar - 2 u^T dc) / (2 sigma)
    const dSigma = withGrad ? new Float64Array(dim) : this.noGrad;
    if (withGrad)
      for (let d = 0; d < dim; d++) {
        let g = p.dVariance[d];
        for (let a = 0; a < q; a++) g -= 2 * u[a] * dc[a][d];
        dSigma[d] = g / (2 * sigma);
      }
    const logs = new Float64Array(this.w.length);
    let top = -Infinity;
    const means = this.w.map((ws, t) => {
      let m = p.mean;
      for (let a = 0; a < q; a++) m += c[a] * ws[a];
      logs[t] = Math.log(sigma) + standardLogEi((m - this.thresholds[t]) / sigma);
      top = Math.max(top, logs[t]);
      return m;
    });
    let sum = 0;
    for (const l of logs) sum += Math.exp(l - top);
    let value = top + Math.log(sum / logs.length);
    const constrained = this.feasibility && withGrad ? this.feasibility.valueAndGradient(x) : null;
    if (this.feasibility) value += constrained ? constrained.value : this.feasibility.value(x);
    if (!withGrad) return { value };
    // Gradient of log mean_s exp(l_s): softmax weights times d l_s, with
    // d l_s = (h'(z_s) / sigma) (dMean + dc^T w_s) + (1 - h'(z_s) z_s) / sigma dSigma, summed over
    // the fantasies first (scalars and a q-vector) so the cost is O(S q + dim q), not O(S dim q).
    let meanCoef = 0;
    let sigmaCoef = 0;
    const wSum = new Float64Array(q);
    this.w.forEach((ws, t) => {
      const weight = Math.exp(logs[t] - top) / sum;
      const z = (means[t] - this.thresholds[t]) / sigma;
      const h1 = dStandardLogEi(z);
      const k = (weight * h1) / sigma;
      meanCoef += k;
      sigmaCoef += (weight * (1 - h1 * z)) / sigma;
      for (let a = 0; a < q; a++) wSum[a] += k * ws[a];
    });
    const grad = new Float64Array(dim);
    for (let d = 0; d < dim; d++) {
      let gd = meanCoef * p.dMean[d] + sigmaCoef * dSigma[d];
      for (let a = 0; a < q; a++) gd += dc[a][d] * wSum[a];
      grad[d] = gd;
    }
    if (constrained) for (let d = 0; d < dim; d++) grad[d] += constrained.grad[d];
    return { value, grad };
  }

  private kernel(a: ArrayLike<number>, b: ArrayLike<number>): number {
    const { inverseSquaredLengthscales: lambda, kernelScale } = this.gp.params;
    let r2 = 0;
    for (let d = 0; d < this.gp.dim; d++)
      r2 += lambda[d] * deltaSquared(a[d], b[d], this.gp.isCategorical[d]);
    return kernelScale * matern52(r2);
  }

  /** Adds scale * d k(x, b) / dx to `out` (numeric dimensions); returns k(x, b). */
  private kernelGrad(x: ArrayLike<number>, b: ArrayLike<number>, scale: number, out: Float64Array) {
    const { inverseSquaredLengthscales: lambda, kernelScale } = this.gp.params;
    const cat = this.gp.isCategorical;
    let r2 = 0;
    for (let d = 0; d < this.gp.dim; d++) r2 += lambda[d] * deltaSquared(x[d], b[d], cat[d]);
    const dk = kernelScale * matern52Derivative(r2) * scale;
    for (let d = 0; d < this.gp.dim; d++) if (!cat[d]) out[d] += dk * lambda[d] * 2 * (x[d] - b[d]);
    return kernelScale * matern52(r2);
  }
}
