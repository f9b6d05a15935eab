/**
 * Mixture of products of truncated-normal / categorical kernels, one kernel per observation plus
 * a prior kernel: a port of Optuna 5.0's `_ParzenEstimator` (samplers/_tpe/parzen_estimator.py
 * and probability_distributions.py; Bergstra et al. 2011, hyperopt).
 *  - weights: the observations' weights, then `priorWeight`, normalised (prior alone when empty);
 *  - numeric dimensions live in [low - step/2, high + step/2] (step = 1 for integers), in log space
 *    when `log`; the prior kernel sits at the centre with sigma = the range;
 *  - bandwidth of an observation = the larger gap to its sorted neighbours among the observations
 *    (the bounds count as neighbours; the end kernels' outer gap is ignored unless
 *    `considerEndpoints`), clipped to [range / min(100, n + 2) ("magic clip"), range]. Optuna 5
 *    uses this rule for multivariate TPE too (3.x used Scott's rule there) and no longer counts the
 *    prior mean as a neighbour;
 *  - stepped dimensions (integers included, log-scaled integers in log space) are discretised: the
 *    mass of [x - step/2, x + step/2] under the truncated kernel;
 *  - categorical kernels put priorWeight / (n + 1) on every choice plus 1 on the observed one,
 *    normalised; the prior kernel is uniform.
 * Sampling draws a kernel, then each dimension by the truncated normal's inverse CDF (as Optuna).
 * Values in and out are "internal": numbers as they are, categorical choices as indices.
 */
import { Rng } from '../../../platform/core/rng';
import { Distribution } from '../distributions';
import { logNormalMass, logNormalPdf, truncNormPpf } from './truncated-normal';

export interface ParzenParameters {
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
}

interface CatKernels {
  kind: 'cat';
  /** [kernel][choice] probabilities and their logs. */
  probs: Float64Array[];
  logProbs: Float64Array[];
}

interface NumKernels {
  kind: 'num';
  mus: Float64Array;
  sigmas: Float64Array;
  invSigmas: Float64Array;
  /** log of each kernel's mass on [low, high]. */
  logNorm: Float64Array;
  /** For continuous dimensions: -log(sqrt(2 pi) sigma) - logNorm. */
  logConst: Float64Array;
  /** Adapted bounds (widened by step / 2, in log space when log). */
  low: number;
  high: number;
  /** The distribution's own bounds, for rounding samples. */
  rawLow: number;
  rawHigh: number;
  log: boolean;
  /** 0 for continuous dimensions. */
  step: number;
}

type DimKernels = CatKernels | NumKernels;

const EPS = 1e-12;

export class ParzenEstimator {
  private readonly weights: number[];
  private readonly logWeights: Float64Array;
  private readonly dims: DimKernels[];

  /**
   * @param observations per dimension, the observed internal values, all of equal length n
   * @param obsWeights the n observations' mixture weights before the prior is appended
   */
  constructor(
    observations: readonly (readonly number[])[],
    distributions: readonly Distribution[],
    obsWeights: readonly number[],
    p: ParzenParameters,
  ) {
    const n = obsWeights.length;
    const w = n === 0 ? [1] : [...obsWeights, p.priorWeight];
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((x) => x / total);
    this.logWeights = Float64Array.from(this.weights, Math.log);
    this.dims = distributions.map((d, i) => buildDim(observations[i] ?? [], d, p));
  }

  /** m joint samples, returned per dimension (internal values). */
  sample(rng: Rng, m: number): number[][] {
    const out = this.dims.map(() => new Array<number>(m));
    for (let j = 0; j < m; j++) {
      const k = rng.weightedIndex(this.weights);
      this.dims.forEach((dim, d) => {
        out[d][j] =
          dim.kind === 'cat' ? sampleCategorical(rng, dim.probs[k]) : sampleNum(rng, dim, k);
      });
    }
    return out;
  }

  /** Log density (mass for discrete dimensions) of each of the given points (per dimension). */
  logPdf(xs: readonly (readonly number[])[]): number[] {
    const m = xs[0]?.length ?? 0;
    const K = this.weights.length;
    const terms: Float64Array[] = [];
    for (let j = 0; j < m; j++) terms.push(Float64Array.from(this.logWeights));
    this.dims.forEach((dim, d) => addDimLogPdf(dim, xs[d], terms));
    return terms.map((t) => {
      let max = -Infinity;
      for (let k = 0; k < K; k++) if (t[k] > max) max = t[k];
      if (max === -Infinity) return -Infinity;
      let s = 0;
      // Kernels more than 50 nats below the best one change the sum by < 2e-22 relative.
      for (let k = 0; k < K; k++) {
        const d = t[k] - max;
        if (d > -50) s += Math.exp(d);
      }
      return Math.log(s) + max;
    });
  }
}

function addDimLogPdf(dim: DimKernels, xs: readonly number[], terms: Float64Array[]): void {
  const K = terms[0]?.length ?? 0;
  if (dim.kind === 'cat') {
    xs.forEach((x, j) => {
      const t = terms[j];
      for (let k = 0; k < K; k++) t[k] += dim.logProbs[k][x];
    });
    return;
  }
  const { mus, sigmas } = dim;
  if (dim.step === 0) {
    xs.forEach((raw, j) => {
      const x = dim.log ? Math.log(raw) : raw;
      const t = terms[j];
      if (!(x >= dim.low && x <= dim.high)) {
        t.fill(-Infinity);
        return;
      }
      for (let k = 0; k < K; k++) {
        const z = (x - mus[k]) * dim.invSigmas[k];
        t[k] += dim.logConst[k] - 0.5 * z * z;
      }
    });
    return;
  }
  // Discrete: the same x is often evaluated many times (few grid points), so cache per value.
  const cache = new Map<number, Float64Array>();
  xs.forEach((raw, j) => {
    let row = cache.get(raw);
    if (!row) {
      const h = dim.step / 2;
      const left = dim.log ? Math.log(raw - h) : raw - h;
      const right = dim.log ? Math.log(raw + h) : raw + h;
      row = new Float64Array(K);
      for (let k = 0; k < K; k++) {
        const s = sigmas[k];
        row[k] = logNormalMass((left - mus[k]) / s, (right - mus[k]) / s) - dim.logNorm[k];
      }
      cache.set(raw, row);
    }
    const t = terms[j];
    for (let k = 0; k < K; k++) t[k] += row[k];
  });
}

function buildDim(obs: readonly number[], d: Distribution, p: ParzenParameters): DimKernels {
  const n = obs.length;
  if (d.type === 'categorical') {
    const c = d.choices.length;
    const rows: Float64Array[] = [];
    const fill = p.priorWeight / (n + 1);
    for (let i = 0; i <= n; i++) {
      const row = new Float64Array(c).fill(i < n ? fill : 1 / c);
      if (i < n) {
        row[obs[i]] += 1;
        const s = row.reduce((a, b) => a + b, 0);
        for (let q = 0; q < c; q++) row[q] /= s;
      }
      rows.push(row);
    }
    return { kind: 'cat', probs: rows, logProbs: rows.map((r) => r.map(Math.log)) };
  }
  const step = d.step ?? 0;
  let low = d.low - step / 2;
  let high = d.high + step / 2;
  const values = d.log ? obs.map(Math.log) : obs.slice();
  if (d.log) {
    low = Math.log(low);
    high = Math.log(high);
  }
  const range = high - low;
  const mus = new Float64Array(n + 1);
  const sigmas = new Float64Array(n + 1);
  const sig = bandwidths(values, low, high, p);
  for (let i = 0; i < n; i++) {
    mus[i] = values[i];
    sigmas[i] = sig[i];
  }
  mus[n] = 0.5 * (low + high);
  sigmas[n] = range;
  const logNorm = new Float64Array(n + 1);
  const logConst = new Float64Array(n + 1);
  for (let k = 0; k <= n; k++) {
    logNorm[k] = logNormalMass((low - mus[k]) / sigmas[k], (high - mus[k]) / sigmas[k]);
    logConst[k] = logNormalPdf(0) - Math.log(sigmas[k]) - logNorm[k];
  }
  return {
    kind: 'num',
    mus,
    sigmas,
    invSigmas: sigmas.map((x) => 1 / x),
    logNorm,
    logConst,
    low,
    high,
    rawLow: d.low,
    rawHigh: d.high,
    log: d.log,
    step,
  };
}

/**
 * Optuna 5's compute_sigmas: neighbour gaps among the observations, then the magic clip. Equal
 * observations take consecutive sorted positions in observation order (a stable sort). The values
 * are sorted natively as a Float64Array (fast at 10,000 observations) and each observation finds
 * its position by binary search.
 */
function bandwidths(
  values: readonly number[],
  low: number,
  high: number,
  p: ParzenParameters,
): Float64Array {
  const n = values.length;
  const sortedValues = Float64Array.from(values).sort();
  const sorted = new Float64Array(n + 2);
  sorted[0] = low;
  sorted.set(sortedValues, 1);
  sorted[n + 1] = high;
  const sortedSigmas = new Float64Array(n);
  for (let r = 0; r < n; r++)
    sortedSigmas[r] = Math.max(sorted[r + 1] - sorted[r], sorted[r + 2] - sorted[r + 1]);
  if (!p.considerEndpoints && n + 2 >= 4) {
    sortedSigmas[0] = sorted[2] - sorted[1];
    sortedSigmas[n - 1] = sorted[n] - sorted[n - 1];
  }
  const maxSigma = high - low;
  const minSigma = p.considerMagicClip ? (high - low) / Math.min(100, 1 + (n + 1)) : EPS;
  const out = new Float64Array(n);
  const seen = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const v = values[i];
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedValues[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    let r = lo;
    if (r + 1 < n && sortedValues[r + 1] === v) {
      const k = seen.get(v) ?? 0;
      seen.set(v, k + 1);
      r += k;
    }
    out[i] = Math.min(Math.max(sortedSigmas[r], minSigma), maxSigma);
  }
  return out;
}

/** Optuna's categorical draw: the number of cumulative probabilities below a uniform quantile. */
function sampleCategorical(rng: Rng, probs: Float64Array): number {
  const u = rng.float();
  let cum = 0;
  for (let c = 0; c < probs.length - 1; c++) {
    cum += probs[c];
    if (!(cum < u)) return c;
  }
  return probs.length - 1;
}

function sampleNum(rng: Rng, dim: NumKernels, k: number): number {
  const mu = dim.mus[k];
  const s = dim.sigmas[k];
  let x = truncNormPpf(rng.float(), (dim.low - mu) / s, (dim.high - mu) / s) * s + mu;
  if (dim.log) x = Math.exp(x);
  if (dim.step !== 0) {
    x = dim.rawLow + Math.round((x - dim.rawLow) / dim.step) * dim.step;
    x = Math.min(Math.max(x, dim.rawLow), dim.rawHigh);
  }
  return x;
}
