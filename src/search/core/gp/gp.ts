/**
 * Gaussian-process regression with the Matern 5/2 ARD kernel (Rasmussen & Williams, "Gaussian
 * Processes for Machine Learning", 2006, Algorithm 2.1) and its hyper-parameters fitted by
 * maximising the log marginal likelihood plus Optuna 4's log prior (optuna/_gp/prior.py,
 * optuna/_gp/gp.py: fit_kernel_params): parameters in log space, L-BFGS from lambda = 1, s = 1,
 * noise = 1, analytic gradients (R&W eq. 5.9) instead of autograd.
 */
import {
  KernelParams,
  covarianceMatrix,
  deltaSquared,
  matern52,
  matern52Derivative,
} from './kernel';
import { cholesky, inverseFromCholesky, solveLower, solveUpper } from './linalg';
import { minimizeLbfgs } from './lbfgs';

/** Optuna's DEFAULT_MINIMUM_NOISE_VAR: the noise floor of a non-deterministic objective. */
export const MINIMUM_NOISE_VAR = 1e-6;

export interface Posterior {
  mean: number;
  variance: number;
}

export interface PosteriorWithGradient extends Posterior {
  /** d mean / d x and d variance / d x (zero on categorical dimensions). */
  dMean: Float64Array;
  dVariance: Float64Array;
}

export class GaussianProcess {
  readonly n: number;
  readonly dim: number;
  private readonly l: Float64Array;
  private readonly alpha: Float64Array;

  constructor(
    readonly x: readonly Float64Array[],
    readonly y: Float64Array,
    readonly isCategorical: readonly boolean[],
    readonly params: KernelParams,
  ) {
    this.n = x.length;
    this.dim = isCategorical.length;
    const k = covarianceMatrix(x, params, isCategorical);
    for (let i = 0; i < this.n; i++) k[i * this.n + i] += params.noiseVar;
    this.l = cholesky(k, this.n).l;
    this.alpha = solveUpper(this.l, this.n, solveLower(this.l, this.n, y));
  }

  /** Latent posterior (without observation noise) at one point. */
  posterior(xq: ArrayLike<number>): Posterior {
    const kq = this.crossCovariance(xq);
    let mean = 0;
    for (let i = 0; i < this.n; i++) mean += kq[i] * this.alpha[i];
    const v = solveLower(this.l, this.n, kq);
    let vv = 0;
    for (let i = 0; i < this.n; i++) vv += v[i] * v[i];
    return { mean, variance: Math.max(this.params.kernelScale - vv, 0) };
  }

  posteriorWithGradient(xq: ArrayLike<number>): PosteriorWithGradient {
    const { n, dim } = this;
    const lambda = this.params.inverseSquaredLengthscales;
    const s = this.params.kernelScale;
    const kq = new Float64Array(n);
    const dk = new Float64Array(n); // s * m'(r^2_i)
    for (let i = 0; i < n; i++) {
      let r2 = 0;
      const xi = this.x[i];
      for (let d = 0; d < dim; d++)
        r2 += lambda[d] * deltaSquared(xq[d], xi[d], this.isCategorical[d]);
      kq[i] = s * matern52(r2);
      dk[i] = s * matern52Derivative(r2);
    }
    const v = solveLower(this.l, this.n, kq);
    const kInvK = solveUpper(this.l, this.n, v);
    let mean = 0;
    let vv = 0;
    for (let i = 0; i < n; i++) {
      mean += kq[i] * this.alpha[i];
      vv += v[i] * v[i];
    }
    const dMean = new Float64Array(dim);
    const dVariance = new Float64Array(dim);
    for (let d = 0; d < dim; d++) {
      if (this.isCategorical[d]) continue;
      let gm = 0;
      let gv = 0;
      for (let i = 0; i < n; i++) {
        // d k_i / d x_d = s m'(r^2) * lambda_d * 2 (x_d - X_id)
        const g = dk[i] * lambda[d] * 2 * (xq[d] - this.x[i][d]);
        gm += this.alpha[i] * g;
        gv += kInvK[i] * g;
      }
      dMean[d] = gm;
      dVariance[d] = -2 * gv;
    }
    return { mean, variance: Math.max(s - vv, 0), dMean, dVariance };
  }

  /**
   * Leave-one-out predictive distributions of the observations, in closed form (Rasmussen &
   * Williams 2006, eq. 5.12): for observation i, mean y_i - [K^-1 y]_i / [K^-1]_ii and variance
   * 1 / [K^-1]_ii (noise included), as if the GP (same hyper-parameters) had been conditioned on
   * the other n - 1 points.
   */
  leaveOneOut(): { mean: Float64Array; variance: Float64Array } {
    const kInv = inverseFromCholesky(this.l, this.n);
    const mean = new Float64Array(this.n);
    const variance = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) {
      const d = kInv[i * this.n + i];
      mean[i] = this.y[i] - this.alpha[i] / d;
      variance[i] = 1 / d;
    }
    return { mean, variance };
  }

  private crossCovariance(xq: ArrayLike<number>): Float64Array {
    const lambda = this.params.inverseSquaredLengthscales;
    const kq = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) {
      let r2 = 0;
      const xi = this.x[i];
      for (let d = 0; d < this.dim; d++)
        r2 += lambda[d] * deltaSquared(xq[d], xi[d], this.isCategorical[d]);
      kq[i] = this.params.kernelScale * matern52(r2);
    }
    return kq;
  }
}

/** Raw (log-space) parameter vector: [log lambda_1..D, log s, log(noise - minimum noise)]. */
export function paramsFromRaw(raw: ArrayLike<number>, dim: number, minNoise: number): KernelParams {
  const lambda = new Float64Array(dim);
  for (let d = 0; d < dim; d++) lambda[d] = Math.exp(raw[d]);
  return {
    inverseSquaredLengthscales: lambda,
    kernelScale: Math.exp(raw[dim]),
    noiseVar: Math.exp(raw[dim + 1]) + minNoise,
  };
}

/**
 * Optuna's default_log_prior (without its constant terms): -(0.1/lambda + 0.1 lambda) per
 * dimension, Gamma(2, 1) on the signal variance, Gamma(1.1, 30) on the noise variance.
 */
export function logPrior(p: KernelParams): number {
  let lp = 0;
  for (const l of p.inverseSquaredLengthscales) lp -= 0.1 / l + 0.1 * l;
  lp += (2 - 1) * Math.log(p.kernelScale) - p.kernelScale;
  lp += (1.1 - 1) * Math.log(p.noiseVar) - 30 * p.noiseVar;
  return lp;
}

/**
 * Log marginal likelihood + log prior and its gradient in the raw parameters
 * (R&W eq. 5.8-5.9: d/d theta = 1/2 tr((alpha alpha^T - K^-1) dK/d theta)).
 */
export function logPosteriorAndGradient(
  x: readonly Float64Array[],
  y: Float64Array,
  isCategorical: readonly boolean[],
  raw: ArrayLike<number>,
  minNoise: number,
): { value: number; grad: Float64Array } {
  const n = x.length;
  const dim = isCategorical.length;
  const p = paramsFromRaw(raw, dim, minNoise);
  const lambda = p.inverseSquaredLengthscales;
  const s = p.kernelScale;
  const kNoiseless = covarianceMatrix(x, p, isCategorical);
  const k = Float64Array.from(kNoiseless);
  for (let i = 0; i < n; i++) k[i * n + i] += p.noiseVar;
  const { l } = cholesky(k, n);
  const alpha = solveUpper(l, n, solveLower(l, n, y));
  let logDet = 0;
  let yAlpha = 0;
  for (let i = 0; i < n; i++) {
    logDet += Math.log(l[i * n + i]);
    yAlpha += y[i] * alpha[i];
  }
  const value = -0.5 * yAlpha - logDet - 0.5 * n * Math.log(2 * Math.PI) + logPrior(p);
  const kInv = inverseFromCholesky(l, n);
  const grad = new Float64Array(dim + 2);
  let trScale = 0;
  let trNoise = 0;
  for (let i = 0; i < n; i++) {
    const wii = alpha[i] * alpha[i] - kInv[i * n + i];
    trScale += 0.5 * wii * kNoiseless[i * n + i];
    trNoise += 0.5 * wii;
    for (let j = 0; j < i; j++) {
      const w = alpha[i] * alpha[j] - kInv[i * n + j];
      // Off-diagonal pairs count twice in the trace; the 1/2 cancels.
      trScale += w * kNoiseless[i * n + j];
      let r2 = 0;
      for (let d = 0; d < dim; d++)
        r2 += lambda[d] * deltaSquared(x[i][d], x[j][d], isCategorical[d]);
      const wd = w * s * matern52Derivative(r2);
      if (wd === 0) continue;
      for (let d = 0; d < dim; d++)
        grad[d] += wd * lambda[d] * deltaSquared(x[i][d], x[j][d], isCategorical[d]);
    }
  }
  for (let d = 0; d < dim; d++) grad[d] += 0.1 / lambda[d] - 0.1 * lambda[d];
  grad[dim] = trScale + (1 - s);
  const noiseExcess = p.noiseVar - minNoise;
  grad[dim + 1] = trNoise * noiseExcess + (0.1 / p.noiseVar - 30) * noiseExcess;
  return { value, grad };
}

/** Hyper-parameters by maximum a posteriori (L-BFGS from Optuna's default start). */
export function fitKernelParams(
  x: readonly Float64Array[],
  y: Float64Array,
  isCategorical: readonly boolean[],
  opts: { deterministic?: boolean; gtol?: number } = {},
): KernelParams {
  const dim = isCategorical.length;
  const minNoise = MINIMUM_NOISE_VAR;
  const start = new Float64Array(dim + 2);
  // lambda = 1, s = 1, noise = 1 (Optuna adds 0.01 x the floor to keep the log finite).
  start[dim + 1] = Math.log(1 - 0.99 * minNoise);
  if (opts.deterministic) {
    const f = (r: Float64Array) => {
      const full = Float64Array.from([...r, Math.log(0.01 * minNoise)]);
      const out = safeLogPosterior(x, y, isCategorical, full, minNoise);
      return { value: -out.value, grad: out.grad.subarray(0, dim + 1).map((g) => -g) };
    };
    const res = minimizeLbfgs(f, start.subarray(0, dim + 1), { gtol: opts.gtol ?? 1e-2 });
    return paramsFromRaw([...res.x, Math.log(0.01 * minNoise)], dim, minNoise);
  }
  const f = (r: Float64Array) => {
    const out = safeLogPosterior(x, y, isCategorical, r, minNoise);
    return { value: -out.value, grad: out.grad.map((g) => -g) };
  };
  const res = minimizeLbfgs(f, start, { gtol: opts.gtol ?? 1e-2 });
  return paramsFromRaw(res.x, dim, minNoise);
}

/**
 * The line search may try parameters whose covariance overflows or cannot be factored: those
 * points get -Infinity, which the line search rejects (it then shortens the step).
 */
function safeLogPosterior(
  x: readonly Float64Array[],
  y: Float64Array,
  isCategorical: readonly boolean[],
  raw: ArrayLike<number>,
  minNoise: number,
): { value: number; grad: Float64Array } {
  try {
    const out = logPosteriorAndGradient(x, y, isCategorical, raw, minNoise);
    if (Number.isFinite(out.value) && out.grad.every(Number.isFinite)) return out;
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
  return { value: -Infinity, grad: new Float64Array(raw.length) };
}
