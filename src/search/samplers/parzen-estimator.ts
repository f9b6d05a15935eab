/**
 * Mixture of truncated-normal / categorical kernels, one kernel per observation plus a prior
 * kernel, as in Optuna's `_ParzenEstimator` (Optuna 3.x, following Bergstra et al. 2011 and
 * hyperopt): prior at the centre with sigma = range and weight `priorWeight`; univariate
 * bandwidth = max distance to the neighbouring observations (with the bounds as neighbours and the
 * end kernels' outer gap ignored unless `considerEndpoints`); multivariate bandwidth = Scott-like
 * 0.2 * n^(-1/(d+4)) * range; "magic clip" keeps sigma >= range / min(100, 1 + n_kernels).
 * Stepped and integer dimensions are discretised truncated normals over [low - step/2, high + step/2];
 * log dimensions live in log space. Categorical kernels put prior_weight / n_kernels on every
 * choice plus 1 on the observed one (then normalise).
 */
import { Rng } from '../../platform/core/rng';
import { logNormalMass, logNormalPdf, logSumExp } from './normal';

export type DimSpec =
  { kind: 'cat'; n: number } | { kind: 'num'; low: number; high: number; step?: number };

export interface ParzenParameters {
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  multivariate: boolean;
}

type DimKernels =
  | { kind: 'cat'; logProbs: number[][] }
  | {
      kind: 'num';
      mus: number[];
      sigmas: number[];
      /** log of each kernel's truncation mass. */
      logNorm: number[];
      /** -log(sqrt(2 pi) sigma) - logNorm: the continuous log-density without the quadratic term. */
      logConst: number[];
      low: number;
      high: number;
      step?: number;
    };

const EPS = 1e-12;

export class ParzenEstimator {
  private readonly logWeights: number[];
  private readonly weights: number[];
  private readonly dims: DimKernels[];

  /**
   * @param observations per dimension, the observed (transformed) values, all of equal length n
   * @param obsWeights the n observations' mixture weights before the prior is appended
   */
  constructor(
    observations: number[][],
    specs: DimSpec[],
    obsWeights: number[],
    p: ParzenParameters,
  ) {
    const n = obsWeights.length;
    const w = obsWeights.concat([p.priorWeight]);
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((x) => x / total);
    this.logWeights = this.weights.map((x) => Math.log(Math.max(x, 1e-300)));
    this.dims = specs.map((spec, d) => buildDim(observations[d] ?? [], spec, n, specs.length, p));
  }

  /** m joint samples, returned per dimension. */
  sample(rng: Rng, m: number): number[][] {
    const out = this.dims.map(() => new Array<number>(m));
    for (let j = 0; j < m; j++) {
      const k = rng.weightedIndex(this.weights);
      this.dims.forEach((dim, d) => {
        out[d][j] =
          dim.kind === 'cat'
            ? rng.weightedIndex(dim.logProbs[k].map(Math.exp))
            : sampleTruncNormal(rng, dim, k);
      });
    }
    return out;
  }

  /** Log density (mass for discrete dimensions) of each of the given points. */
  logPdf(xs: number[][]): number[] {
    const m = xs[0]?.length ?? 0;
    const K = this.weights.length;
    const out = new Array<number>(m);
    const terms = new Float64Array(K);
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < K; k++) terms[k] = this.logWeights[k];
      this.dims.forEach((dim, d) => {
        const x = xs[d][j];
        if (dim.kind === 'cat') {
          for (let k = 0; k < K; k++) terms[k] += dim.logProbs[k][x];
        } else if (dim.step === undefined) {
          for (let k = 0; k < K; k++) {
            const z = (x - dim.mus[k]) / dim.sigmas[k];
            terms[k] += dim.logConst[k] - 0.5 * z * z;
          }
        } else {
          const h = dim.step / 2;
          for (let k = 0; k < K; k++) {
            const s = dim.sigmas[k];
            terms[k] +=
              logNormalMass((x - h - dim.mus[k]) / s, (x + h - dim.mus[k]) / s) - dim.logNorm[k];
          }
        }
      });
      out[j] = logSumExp(terms);
    }
    return out;
  }
}

function buildDim(
  obs: number[],
  spec: DimSpec,
  n: number,
  nDims: number,
  p: ParzenParameters,
): DimKernels {
  if (spec.kind === 'cat') {
    const nk = n + 1;
    const logProbs: number[][] = [];
    for (let i = 0; i < n; i++) {
      const row = new Array<number>(spec.n).fill(p.priorWeight / nk);
      row[obs[i]] += 1;
      const s = row.reduce((a, b) => a + b, 0);
      logProbs.push(row.map((x) => Math.log(x / s)));
    }
    logProbs.push(new Array<number>(spec.n).fill(-Math.log(spec.n)));
    return { kind: 'cat', logProbs };
  }
  const { low, high, step } = spec;
  const stepOr0 = step ?? 0;
  const range = high - low + stepOr0;
  const prior = 0.5 * (low + high);
  let sigmas: number[];
  if (p.multivariate) {
    const s = 0.2 * Math.max(n, 1) ** (-1 / (nDims + 4)) * range;
    sigmas = new Array<number>(n).fill(s);
  } else {
    // Neighbour distances over the sorted observations plus the prior mean (Optuna keeps this quirk).
    const withPrior = obs.concat([prior]);
    const order = withPrior.map((_, i) => i).sort((a, b) => withPrior[a] - withPrior[b]);
    const sorted = [low - stepOr0 / 2, ...order.map((i) => withPrior[i]), high + stepOr0 / 2];
    const sortedSigmas = order.map((_, r) =>
      Math.max(sorted[r + 1] - sorted[r], sorted[r + 2] - sorted[r + 1]),
    );
    if (!p.considerEndpoints && sorted.length >= 4) {
      sortedSigmas[0] = sorted[2] - sorted[1];
      sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2] - sorted[sorted.length - 3];
    }
    sigmas = new Array<number>(withPrior.length);
    order.forEach((i, r) => (sigmas[i] = sortedSigmas[r]));
    sigmas = sigmas.slice(0, n);
  }
  const maxSigma = range;
  const minSigma = p.considerMagicClip ? range / Math.min(100, 1 + n + 1) : EPS;
  sigmas = sigmas.map((s) => Math.min(Math.max(s, minSigma), maxSigma));
  const mus = obs.concat([prior]);
  sigmas.push(range);
  const lo = low - stepOr0 / 2;
  const hi = high + stepOr0 / 2;
  const logNorm = mus.map((mu, k) => logNormalMass((lo - mu) / sigmas[k], (hi - mu) / sigmas[k]));
  const logConst = sigmas.map((sg, k) => logNormalPdf(0) - Math.log(sg) - logNorm[k]);
  return { kind: 'num', mus, sigmas, logNorm, logConst, low, high, step };
}

/** Rejection sampling: every kernel mean lies inside the bounds, so acceptance is >= ~1/3. */
function sampleTruncNormal(rng: Rng, dim: Extract<DimKernels, { kind: 'num' }>, k: number): number {
  const h = (dim.step ?? 0) / 2;
  const lo = dim.low - h;
  const hi = dim.high + h;
  let x = dim.mus[k];
  for (let tries = 0; tries < 100; tries++) {
    x = rng.normal(dim.mus[k], dim.sigmas[k]);
    if (x >= lo && x <= hi) break;
  }
  x = Math.min(Math.max(x, lo), hi);
  if (dim.step !== undefined) {
    x = dim.low + Math.round((x - dim.low) / dim.step) * dim.step;
    x = Math.min(Math.max(x, dim.low), dim.high);
  }
  return x;
}
