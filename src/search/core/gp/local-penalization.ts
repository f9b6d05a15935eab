/**
 * Local penalisation for batches of parallel trials (González, Dai, Hennig & Lawrence, "Batch
 * Bayesian Optimization via Local Penalization", AISTATS 2016), in the log form of GPyOpt's
 * implementation (acquisitions/LP.py): the acquisition of the next point is the sequential one
 * (log EI on the GP of the complete trials only) plus, for every pending trial x_j,
 *
 *   log phi(x; x_j) = log Phi((L ||x - x_j|| - M + mu(x_j)) / sigma(x_j))
 *
 * (the paper's 1/2 erfc(-z) with z = (L ||x_j - x|| - M + mu(x_j)) / sqrt(2 sigma^2(x_j)), eq. 4),
 * the probability that x lies outside the ball around x_j that cannot hold the maximum M when the
 * objective is L-Lipschitz: |f(x) - f(x_j)| <= L ||x - x_j|| keeps f below M within
 * r_j = (M - f(x_j)) / L of x_j. Scores are maximised (standardised, as the GP models them), M is
 * the best observed score, mu and sigma^2 the GP's predictive mean and variance at x_j, and L the
 * largest norm of the gradient of the posterior mean found over the box (the paper's estimate,
 * section 3.2).
 *
 * `hard` is the hard local penaliser of Alvi, Ru, Calliess, Roberts & Osborne ("Asynchronous Batch
 * Bayesian Optimisation with Improved Local Penalisation", ICML 2019, eq. 6):
 *
 *   phi(x; x_j) = ((||x - x_j|| / (r_j + s_j))^p + 1)^(1/p),  r_j = |M - mu(x_j)| / L,
 *   s_j = sigma(x_j) / L, p = -5,
 *
 * a smoothed min(||x - x_j|| / (r_j + s_j), 1): it is 0 at x_j (the soft penaliser is only
 * Phi((mu_j - M) / sigma_j), >= 1/2 when x_j is predicted to beat M, so EI's maximum, which a
 * pending point does not move, can be proposed again next to it) and reaches 1 at the ball's edge.
 *
 * Unlike the kriging believer, the GP is not refitted with believed values: the exploration a
 * pending trial removes is local (a ball whose radius grows with how far below the best it is
 * predicted and shrinks where the objective is steep), and the model's own uncertainty is kept.
 */
import { Rng } from '../../../platform/core/rng';
import { Acquisition } from './acquisition';
import { GaussianProcess } from './gp';
import { deltaSquared } from './kernel';
import { dLogNormalCdf, logNormalCdf } from './normal-tail';

/** Alvi et al.'s exponent of the hard penaliser. */
export const HARD_PENALTY_POWER = -5;

export type PenaltyKind = 'soft' | 'hard';

/** GPyOpt's fallback when the model is flat (estimate below 1e-7). */
export const FLAT_MODEL_LIPSCHITZ = 10;

export interface PenaltyCentre {
  /** The pending trial's encoded point. */
  x: Float64Array;
  /** Predictive mean and standard deviation of its score. */
  mean: number;
  sd: number;
}

/**
 * Distance in the encoded space: Euclidean on numeric dimensions (unit cube), 0/1 per categorical
 * dimension (the kernel's Hamming distance).
 */
export function penaltyDistance(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  isCategorical: readonly boolean[],
): number {
  let s = 0;
  for (let d = 0; d < isCategorical.length; d++) s += deltaSquared(a[d], b[d], isCategorical[d]);
  return Math.sqrt(s);
}

/** log phi(x; x_j) of the paper for a point at `distance` from the centre. */
export function logHammer(
  distance: number,
  centre: Pick<PenaltyCentre, 'mean' | 'sd'>,
  lipschitz: number,
  best: number,
): number {
  return logNormalCdf((lipschitz * distance - best + centre.mean) / centre.sd);
}

/** log phi(x; x_j) of Alvi et al.'s hard penaliser. */
export function logHardHammer(
  distance: number,
  centre: Pick<PenaltyCentre, 'mean' | 'sd'>,
  lipschitz: number,
  best: number,
): number {
  const radius = (Math.abs(best - centre.mean) + centre.sd) / lipschitz;
  return Math.log1p((distance / radius) ** HARD_PENALTY_POWER) / HARD_PENALTY_POWER;
}

/**
 * The paper's L: max over the box of ||grad mu(x)||, taken over `samples` uniform points (grid
 * dimensions at a random value) and the observed points; GPyOpt polishes the best sample with
 * L-BFGS, we keep the sample maximum (a slightly smaller L only widens the balls).
 */
export function estimateLipschitz(
  gp: GaussianProcess,
  gridValues: readonly (readonly number[] | undefined)[],
  rng: Rng,
  samples = 500,
): number {
  const points: ArrayLike<number>[] = [...gp.x];
  for (let i = 0; i < samples; i++)
    points.push(
      Float64Array.from(gridValues, (g) => (g ? g[rng.int(0, g.length - 1)] : rng.float())),
    );
  let best = 0;
  for (const p of points) {
    const g = gp.posteriorWithGradient(p).dMean;
    let n2 = 0;
    for (const v of g) n2 += v * v;
    best = Math.max(best, n2);
  }
  const l = Math.sqrt(best);
  return l < 1e-7 ? FLAT_MODEL_LIPSCHITZ : l;
}

/** `base` (a log acquisition) plus the log penalty of every pending point. */
export class LocallyPenalizedAcquisition implements Acquisition {
  constructor(
    private readonly base: Acquisition,
    private readonly centres: readonly PenaltyCentre[],
    private readonly lipschitz: number,
    private readonly best: number,
    private readonly isCategorical: readonly boolean[],
    private readonly kind: PenaltyKind = 'soft',
  ) {}

  /** Builds the centres from the GP of the complete trials (predictive variance, noise included). */
  static around(
    base: Acquisition,
    gp: GaussianProcess,
    pending: readonly Float64Array[],
    lipschitz: number,
    best: number,
    kind: PenaltyKind = 'soft',
  ): LocallyPenalizedAcquisition {
    const centres = pending.map((x) => {
      const p = gp.posterior(x);
      return { x, mean: p.mean, sd: Math.sqrt(p.variance + gp.params.noiseVar + 1e-12) };
    });
    return new LocallyPenalizedAcquisition(base, centres, lipschitz, best, gp.isCategorical, kind);
  }

  value(x: Float64Array): number {
    let v = this.base.value(x);
    const hammer = this.kind === 'soft' ? logHammer : logHardHammer;
    for (const c of this.centres)
      v += hammer(penaltyDistance(x, c.x, this.isCategorical), c, this.lipschitz, this.best);
    return v;
  }

  valueAndGradient(x: Float64Array): { value: number; grad: Float64Array } {
    if (!this.base.valueAndGradient) throw new Error('base acquisition has no gradient');
    const { value: v0, grad } = this.base.valueAndGradient(x);
    let value = v0;
    for (const c of this.centres) {
      const r = penaltyDistance(x, c.x, this.isCategorical);
      // k = d log phi / dr / r, so that the gradient is k (x - x_j) on numeric dimensions.
      let k: number;
      if (this.kind === 'soft') {
        // d/dr log Phi(u) = (phi/Phi)(u) L / sigma.
        const u = (this.lipschitz * r - this.best + c.mean) / c.sd;
        value += logNormalCdf(u);
        k = r === 0 ? 0 : (dLogNormalCdf(u) * this.lipschitz) / (c.sd * r);
      } else {
        // log phi = log1p(t) / p with t = (r / R)^p; d/dr = t / ((1 + t) r) since p cancels.
        value += logHardHammer(r, c, this.lipschitz, this.best);
        const t =
          (r / ((Math.abs(this.best - c.mean) + c.sd) / this.lipschitz)) ** HARD_PENALTY_POWER;
        k = r === 0 || !Number.isFinite(t) ? 0 : t / ((1 + t) * r * r);
      }
      for (let d = 0; d < x.length; d++) if (!this.isCategorical[d]) grad[d] += k * (x[d] - c.x[d]);
    }
    return { value, grad };
  }
}
