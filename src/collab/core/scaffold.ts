/**
 * SCAFFOLD's control variates (Karimireddy, Kale, Mohri, Reddi, Stich & Suresh, "SCAFFOLD:
 * Stochastic Controlled Averaging for Federated Learning", ICML 2020, arXiv 1910.06378,
 * Algorithm 1), a federation option on top of fedavg and esp-clr against client drift.
 *
 * The server keeps c, site i keeps c_i (an estimate of its own gradient; both start at 0).
 * Per round, site i starts from the global x and takes K local steps on the corrected gradient
 *   y <- y - lr (g_i(y) - c_i + c)                                          (Alg. 1, line 10)
 * so every site follows the global descent direction rather than its own optimum. It then
 * refreshes its control variate (option II, line 12)
 *   c_i+ = c_i - c + (x - y) / (K lr)
 * and shares (y - x, c_i+ - c_i). The server averages the weights as before and moves
 *   c <- c + (|S| / N) mean_{i in S} (c_i+ - c_i)                           (line 17)
 *
 * Two decisions the paper leaves to us (docs/collab.md, "SCAFFOLD"):
 * - Learning rate schedules and adaptive optimisers. With SGD, x - y = sum_t lr_t (g_t - c_i + c),
 *   so option II is exactly c_i+ = sum_t lr_t g_t / sum_t lr_t: the learning-rate weighted mean
 *   of the raw local gradients along the trajectory (K lr becomes sum_t lr_t, the sum of the
 *   actual step sizes). Sites compute it in that form (ControlAccumulator), which stays in
 *   gradient units when the optimizer is adam or the rate is esp-clr's cosine cycle, where
 *   (x - y) / sum lr_t would be in adam's preconditioned units. The correction enters the
 *   gradient before the optimizer (adam sees g - c_i + c). scaffold.spec.ts checks both forms
 *   agree under SGD and that the sites' fixed point is the global optimum.
 * - Weighted objectives. fedavg and esp-clr minimise sum_i (n_i / n) f_i, so c is the sample-
 *   weighted mean of the c_i: c <- c + sum_{i in S} (n_i / N) (c_i+ - c_i), N the samples of all
 *   sites, which is the paper's |S| / N mean when sites are equal.
 */
import { ValidationError } from '../../platform/errors/domain-error';
import { allFinite, sameShape, type WeightSet } from './weights';

/** Zeros of the shape of `like` (the control variates' start, Alg. 1 line 1). */
export function zerosLike(like: WeightSet): Float32Array[] {
  return like.map((w) => new Float32Array(w.length));
}

/** The corrected local gradient g - c_i + c (Alg. 1 line 10), element-wise. */
export function correctedGradient(g: WeightSet, ci: WeightSet, c: WeightSet): Float32Array[] {
  return g.map((gt, t) => {
    const out = new Float32Array(gt.length);
    for (let j = 0; j < gt.length; j++) out[j] = gt[j] - ci[t][j] + c[t][j];
    return out;
  });
}

/**
 * The paper's option II as written: c_i+ = c_i - c + (x - y) / sumLr, with sumLr = K lr for
 * K steps at a constant rate (the sum of the step sizes otherwise).
 */
export function optionTwo(
  ci: WeightSet,
  c: WeightSet,
  x: WeightSet,
  y: WeightSet,
  sumLr: number,
): Float32Array[] {
  if (!(sumLr > 0)) throw ValidationError.field('scaffold', `sum of step sizes must be > 0`);
  return ci.map((cit, t) => {
    const out = new Float32Array(cit.length);
    for (let j = 0; j < cit.length; j++) out[j] = cit[j] - c[t][j] + (x[t][j] - y[t][j]) / sumLr;
    return out;
  });
}

/**
 * Option II in the form sites compute it: sum_t lr_t g_t / sum_t lr_t over the round's local
 * steps (g_t the raw mini-batch gradient, before the correction). Accumulated in float64.
 */
export class ControlAccumulator {
  private sum: Float64Array[] | null = null;
  private weight = 0;

  add(gradient: WeightSet, lr: number): void {
    if (!(Number.isFinite(lr) && lr > 0)) return;
    this.sum ??= gradient.map((g) => new Float64Array(g.length));
    gradient.forEach((g, t) => {
      const s = this.sum![t];
      for (let j = 0; j < g.length; j++) s[j] += lr * g[j];
    });
    this.weight += lr;
  }

  /** The sum of the step sizes seen (K lr at a constant rate). */
  get stepSizes(): number {
    return this.weight;
  }

  /** c_i+; null before any step. */
  result(): Float32Array[] | null {
    if (!this.sum || this.weight === 0) return null;
    return this.sum.map((s) => Float32Array.from(s, (v) => v / this.weight));
  }
}

/** A site's share as the server update reads it. */
export interface ControlShare {
  site: string;
  samples: number;
  controlDelta?: WeightSet;
}

/**
 * The server's control variate c (coordinator state; checkpointed with the global weights so a
 * resumed federation keeps it).
 */
export class ScaffoldServer {
  private c: Float32Array[] | null = null;

  /** c, zeros of the model's shape before the first update. */
  control(like: WeightSet): Float32Array[] {
    if (!this.c || !sameShape(this.c, like)) this.c = zerosLike(like);
    return this.c;
  }

  /** Restores c (a resumed federation). */
  restore(c: WeightSet): void {
    this.c = c.map((t) => Float32Array.from(t));
  }

  /**
   * c <- c + sum_{i in S} (n_i / N) delta c_i over the accepted shares, N = `totalSamples` of
   * all sites (line 17, sample-weighted). A share whose delta is missing, of another shape or
   * not finite does not move c; its site's name is returned.
   */
  absorb(shares: readonly ControlShare[], totalSamples: number, like: WeightSet): string[] {
    if (!(totalSamples > 0)) throw ValidationError.field('scaffold', 'needs sites with samples');
    const c = this.control(like);
    const skipped: string[] = [];
    const acc = c.map((t) => Float64Array.from(t));
    for (const s of shares) {
      const d = s.controlDelta;
      if (!d || !sameShape(d, c) || !allFinite(d)) {
        skipped.push(s.site);
        continue;
      }
      const w = s.samples / totalSamples;
      d.forEach((dt, t) => {
        for (let j = 0; j < dt.length; j++) acc[t][j] += w * dt[j];
      });
    }
    this.c = acc.map((t) => Float32Array.from(t));
    return skipped;
  }
}

/**
 * The site's control variate across rounds, with the one it had before the latest round: a
 * retried round (quorum not met, same round number) starts again from the earlier c_i, so an
 * attempt the coordinator discarded does not count twice.
 */
export interface SiteControlState {
  /** The round whose training produced `current`. */
  round: number;
  previous: Float32Array[] | null;
  current: Float32Array[];
}

/** c_i to train round `round` with (null: zeros, the first round). */
export function siteControlFor(
  state: SiteControlState | null,
  round: number,
): Float32Array[] | null {
  if (!state) return null;
  return state.round >= round ? state.previous : state.current;
}

/** The state after training round `round` produced c_i+ from `used` (the c_i it trained with). */
export function advanceSiteControl(
  used: Float32Array[] | null,
  round: number,
  next: Float32Array[],
): SiteControlState {
  return { round, previous: used, current: next };
}

/**
 * Client drift of a round: the sample-weighted mean squared distance of the sites' weights from
 * their weighted mean, sum_i p_i ||y_i - ybar||^2 (the disagreement SCAFFOLD's correction is
 * meant to shrink); reported as its square root.
 */
export function siteDisagreement(sets: readonly WeightSet[], samples: readonly number[]): number {
  if (sets.length === 0) return 0;
  const total = samples.reduce((a, b) => a + b, 0);
  const p = samples.map((n) => n / total);
  let sq = 0;
  sets[0].forEach((_, t) => {
    const len = sets[0][t].length;
    for (let j = 0; j < len; j++) {
      let mean = 0;
      for (let i = 0; i < sets.length; i++) mean += p[i] * sets[i][t][j];
      for (let i = 0; i < sets.length; i++) {
        const d = sets[i][t][j] - mean;
        sq += p[i] * d * d;
      }
    }
  });
  return Math.sqrt(sq);
}
