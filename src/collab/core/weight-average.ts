/**
 * Stochastic weight averaging of a federation's global models (SWA: Izmailov, Podoprikhin,
 * Garipov, Vetrov & Wilson, "Averaging Weights Leads to Wider Optima and Better Generalization",
 * UAI 2018, Algorithm 1: w_swa <- (w_swa * n + w) / (n + 1) at the low point of every cycle of a
 * cyclical learning rate). In federated learning the server keeps it (FedSWA: Caldarola, Caputo
 * & Ciccone, "Improving Generalization in Federated Learning by Seeking Flat Minima", ECCV 2022,
 * sec. 4): the sites never see the average, they go on from the plain global model, and only the
 * model the federation ends with is the average. esp-clr's global model after every period is a
 * cycle's low point, so every round from the start round on joins the average.
 *
 * The running sum is kept in float64 so the order of the rounds changes the mean by no more than
 * float32 rounding, as in weights.ts's weightedAverage.
 */
import { ValidationError } from '../../platform/errors/domain-error';
import { sameShape, type WeightSet } from './weights';

export class WeightAverage {
  private sum: Float64Array[] | null = null;
  private n = 0;

  /** Global models averaged so far. */
  get count(): number {
    return this.n;
  }

  add(weights: WeightSet): void {
    this.sum ??= weights.map((w) => new Float64Array(w.length));
    if (!sameShape(this.sum, weights))
      throw ValidationError.field('weightAverage', 'a global model of another shape');
    for (let t = 0; t < weights.length; t++) {
      const s = this.sum[t];
      const w = weights[t];
      for (let i = 0; i < w.length; i++) s[i] += w[i];
    }
    this.n++;
  }

  /** The mean of the models added, or null before the first. */
  mean(): Float32Array[] | null {
    if (!this.sum) return null;
    return this.sum.map((s) => {
      const out = new Float32Array(s.length);
      for (let i = 0; i < s.length; i++) out[i] = s[i] / this.n;
      return out;
    });
  }
}

/**
 * The first round (0-based) whose global model joins the average when the last `fraction` of
 * `rounds` rounds are averaged: at least the last round, at most all of them.
 */
export function averagingStartRound(rounds: number, fraction: number): number {
  if (!(fraction > 0 && fraction <= 1))
    throw ValidationError.field('swaFraction', `must be in (0, 1], got ${fraction}`);
  return rounds - Math.max(1, Math.min(rounds, Math.round(fraction * rounds)));
}
