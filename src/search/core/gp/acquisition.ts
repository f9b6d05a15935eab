/**
 * Acquisition functions on fitted GPs, all maximised, all in log space (Ament et al. 2023):
 *  - log EI (Optuna 4's LogEI: log sigma + h((mu - f0) / sigma), see normal.ts);
 *  - log probability of feasibility for each constraint (Gardner et al. 2014; Optuna's
 *    ConstrainedLogEI adds it to log EI, and uses it alone while nothing is feasible);
 *  - log EHVI for several objectives by Monte-Carlo over fixed base samples (common random
 *    numbers, so the estimate is a deterministic function of x; Daulton et al. 2020 use the same
 *    device for qEHVI), with the hypervolume improvement computed exactly per sample.
 * All work on standardised values where larger is better.
 */
import { Rng } from '../../../platform/core/rng';
import { hypervolume } from '../multi-objective';
import { GaussianProcess } from './gp';
import { dLogNormalCdf, dStandardLogEi, logNormalCdf, standardLogEi } from './normal-tail';

/** Optuna's stabilising noise on the posterior variance. */
const STABILIZING_NOISE = 1e-12;

export interface Acquisition {
  value(x: Float64Array): number;
  /** Present when the acquisition is differentiable in the numeric inputs. */
  valueAndGradient?(x: Float64Array): { value: number; grad: Float64Array };
}

export function logEi(mean: number, variance: number, f0: number): number {
  const sigma = Math.sqrt(variance + STABILIZING_NOISE);
  return Math.log(sigma) + standardLogEi((mean - f0) / sigma);
}

/** Sum of log EI (omitted when there is no incumbent, f0 = -Infinity) and log PoF terms. */
export class ConstrainedLogEi implements Acquisition {
  constructor(
    private readonly objective: GaussianProcess,
    private readonly f0: number,
    /** Constraint GPs on standardised values, feasible when below their threshold. */
    private readonly constraints: readonly { gp: GaussianProcess; threshold: number }[] = [],
  ) {}

  value(x: Float64Array): number {
    let v = 0;
    if (this.f0 > -Infinity) {
      const p = this.objective.posterior(x);
      v += logEi(p.mean, p.variance, this.f0);
    }
    for (const c of this.constraints) {
      const p = c.gp.posterior(x);
      v += logNormalCdf((c.threshold - p.mean) / Math.sqrt(p.variance + STABILIZING_NOISE));
    }
    return v;
  }

  valueAndGradient(x: Float64Array): { value: number; grad: Float64Array } {
    const grad = new Float64Array(x.length);
    let value = 0;
    if (this.f0 > -Infinity) {
      const p = this.objective.posteriorWithGradient(x);
      const sigma = Math.sqrt(p.variance + STABILIZING_NOISE);
      const z = (p.mean - this.f0) / sigma;
      const h1 = dStandardLogEi(z);
      value += Math.log(sigma) + standardLogEi(z);
      const dSigma = 1 / sigma - (h1 * z) / sigma;
      for (let d = 0; d < x.length; d++)
        grad[d] += (h1 / sigma) * p.dMean[d] + (dSigma / (2 * sigma)) * p.dVariance[d];
    }
    for (const c of this.constraints) {
      const p = c.gp.posteriorWithGradient(x);
      const sigma = Math.sqrt(p.variance + STABILIZING_NOISE);
      const u = (c.threshold - p.mean) / sigma;
      const r = dLogNormalCdf(u);
      value += logNormalCdf(u);
      for (let d = 0; d < x.length; d++)
        grad[d] += r * (-p.dMean[d] / sigma - (u / sigma) * (p.dVariance[d] / (2 * sigma)));
    }
    return { value, grad };
  }
}

/**
 * log EHVI (+ log PoF terms). `front` holds the non-dominated observed points and `reference` the
 * reference point, both as standardised values to maximise. When no sample improves the front
 * (mean HVI 0, far from the front), the value falls back to a large negative number plus the sum
 * of per-objective log EI against the front's best, so the search still has a slope to follow.
 */
export class LogEhvi implements Acquisition {
  private readonly base: Float64Array[];
  private readonly frontMin: number[][];
  private readonly refMin: number[];
  private readonly frontHv: number;
  private readonly best: number[];

  constructor(
    private readonly objectives: readonly GaussianProcess[],
    front: readonly (readonly number[])[],
    reference: readonly number[],
    rng: Rng,
    samples = 64,
    private readonly constraints: readonly { gp: GaussianProcess; threshold: number }[] = [],
  ) {
    this.base = Array.from({ length: samples }, () =>
      Float64Array.from(objectives, () => rng.normal()),
    );
    this.frontMin = front.map((p) => p.map((v) => -v));
    this.refMin = reference.map((v) => -v);
    this.frontHv = hypervolume(this.frontMin, this.refMin);
    this.best = objectives.map((_, k) => Math.max(...front.map((p) => p[k])));
  }

  value(x: Float64Array): number {
    const post = this.objectives.map((gp) => gp.posterior(x));
    const sd = post.map((p) => Math.sqrt(p.variance + STABILIZING_NOISE));
    let sum = 0;
    for (const eps of this.base) {
      const q = post.map((p, k) => -(p.mean + sd[k] * eps[k]));
      if (q.some((v, k) => v >= this.refMin[k])) continue;
      sum += hypervolume([...this.frontMin, q], this.refMin) - this.frontHv;
    }
    let v: number;
    if (sum > 0) v = Math.log(sum / this.base.length);
    else {
      v = -1e3;
      post.forEach((p, k) => (v += logEi(p.mean, p.variance, this.best[k])));
    }
    for (const c of this.constraints) {
      const p = c.gp.posterior(x);
      v += logNormalCdf((c.threshold - p.mean) / Math.sqrt(p.variance + STABILIZING_NOISE));
    }
    return v;
  }
}
