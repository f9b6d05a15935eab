import type { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';
import type { PredictFn } from './types';

export interface DeletionOptions<I> {
  predict: PredictFn<I>;
  /** Builds the input keeping only the features flagged 1 (the explainer's masker). */
  masker: (keep: Uint8Array) => I;
  numFeatures: number;
  /** Class whose probability is tracked. */
  label: number;
  /** Number of deletion steps L (features removed in L roughly equal groups); default min(d, 20). */
  steps?: number;
}

export interface FaithfulnessReport {
  /** p_0 .. p_L: class probability after removing the first k groups in explanation order. */
  curve: number[];
  aopc: number;
  /** Mean curve over the random orderings. */
  randomCurve: number[];
  randomAopc: number;
  /** Number of features removed after each step, parallel to the curves. */
  removed: number[];
}

/** Features by decreasing weight: the most positive evidence for the class is deleted first. */
export function importanceOrder(weights: readonly number[]): number[] {
  return weights
    .map((w, j) => ({ w, j }))
    .sort((a, b) => b.w - a.w || a.j - b.j)
    .map((e) => e.j);
}

function removedCounts(d: number, steps: number): number[] {
  return Array.from({ length: steps + 1 }, (_, k) => Math.round((k * d) / steps));
}

/** At most this many inputs per predict call: the curves of an explanation go together. */
const CURVE_BATCH = 256;

function checkSteps<I>(opts: DeletionOptions<I>): number {
  const d = opts.numFeatures;
  const steps = opts.steps ?? Math.min(d, 20);
  if (!Number.isInteger(steps) || steps < 1 || steps > d)
    throw ValidationError.field('steps', `must be an integer in [1, ${d}], got ${steps}`);
  return steps;
}

/**
 * Deletion curves for several orders, their inputs predicted in shared batches (one predict
 * call for an explanation's own and random curves, instead of one call per curve).
 */
async function deletionCurves<I>(
  opts: DeletionOptions<I>,
  orders: readonly (readonly number[])[],
): Promise<number[][]> {
  const d = opts.numFeatures;
  const steps = checkSteps(opts);
  const masks: Uint8Array[] = [];
  for (const order of orders) {
    if (order.length !== d)
      throw ValidationError.field('order', `must list all ${d} features, got ${order.length}`);
    for (const r of removedCounts(d, steps)) {
      const keep = new Uint8Array(d).fill(1);
      for (let i = 0; i < r; i++) keep[order[i]] = 0;
      masks.push(keep);
    }
  }
  const probs: number[] = [];
  for (let s = 0; s < masks.length; s += CURVE_BATCH) {
    const rows = await opts.predict(masks.slice(s, s + CURVE_BATCH).map(opts.masker));
    for (const p of rows) probs.push(p[opts.label]);
  }
  return orders.map((_, c) => probs.slice(c * (steps + 1), (c + 1) * (steps + 1)));
}

/**
 * Deletion curve (Samek et al., IEEE TNNLS 2017, "most relevant first"): the predicted-class
 * probability as features are removed in the given order.
 */
export async function deletionCurve<I>(
  opts: DeletionOptions<I>,
  order: readonly number[],
): Promise<number[]> {
  return (await deletionCurves(opts, [order]))[0];
}

/** AOPC = 1/(L+1) sum_{k=0}^{L} (p_0 - p_k) (Samek et al. 2017, eq. 12). */
export function aopc(curve: readonly number[]): number {
  if (curve.length === 0) return 0;
  return curve.reduce((s, p) => s + (curve[0] - p), 0) / curve.length;
}

/** Deletion curve and AOPC for an explanation's order and for `repeats` seeded random orders. */
export async function faithfulness<I>(
  opts: DeletionOptions<I>,
  weights: readonly number[],
  rng: Rng,
  repeats = 5,
): Promise<FaithfulnessReport> {
  const all = Array.from({ length: opts.numFeatures }, (_, j) => j);
  const orders = [importanceOrder(weights)];
  for (let r = 0; r < repeats; r++) orders.push(rng.shuffle(all));
  const [curve, ...random] = await deletionCurves(opts, orders);
  const randomCurve = new Array<number>(curve.length).fill(0);
  for (const c of random) c.forEach((p, k) => (randomCurve[k] += p / repeats));
  return {
    curve,
    aopc: aopc(curve),
    randomCurve,
    randomAopc: aopc(randomCurve),
    removed: removedCounts(opts.numFeatures, checkSteps(opts)),
  };
}
