/**
 * The GP's training set when a study has more complete trials than the sampler's
 * `maxTrainingPoints`: exact GP inference costs O(n^3) per fit (and the MAP fit of the
 * hyper-parameters repeats it per optimiser step), so at thousands of trials an ask would take
 * minutes. Beyond the cap the GP trains on a subset of the data, the "subset of data"
 * approximation (Rasmussen & Williams 2006, Gaussian Processes for Machine Learning, section
 * 8.3.1): the ceil(cap / 2) best trials, so the incumbent's region (where expected improvement
 * lives) is modelled densely, plus a seeded uniform sample of the others, so the model still sees
 * the whole space and the lengthscales are not fitted to the optimum's neighbourhood alone.
 */
import { Rng } from '../../../platform/core/rng';
import { nonDominatedRanks } from '../multi-objective';
import { StudyView } from '../study-view';
import { FrozenTrial } from '../trial';

/**
 * `trials` itself when there are at most `cap` of them (the full data, nothing drawn from `rng`);
 * otherwise `cap` of them, in their original order: the best half by `bestFirst`, then a uniform
 * sample without replacement of the rest drawn from `rng`.
 */
export function trainingSubset(
  trials: readonly FrozenTrial[],
  directions: StudyView['directions'],
  cap: number,
  rng: Rng,
): readonly FrozenTrial[] {
  if (trials.length <= cap) return trials;
  const order = bestFirst(trials, directions);
  const nBest = Math.ceil(cap / 2);
  const sampled = rng.shuffle(order.slice(nBest)).slice(0, cap - nBest);
  return [...order.slice(0, nBest), ...sampled].sort((a, b) => a - b).map((i) => trials[i]);
}

/**
 * Indices of `trials`, best first: feasible trials (every constraint <= 0) before infeasible
 * ones, then by the objective (one objective; NaN last) or by non-dominated rank (several), ties
 * by position.
 */
export function bestFirst(
  trials: readonly FrozenTrial[],
  directions: StudyView['directions'],
): number[] {
  // Scores to minimise: the sign flips a maximised objective; NaN is the worst.
  const points = trials.map((t) =>
    directions.map((d, k) => {
      const v = (d === 'maximize' ? -1 : 1) * (t.values as number[])[k];
      return Number.isNaN(v) ? Infinity : v;
    }),
  );
  const key =
    directions.length === 1 ? points.map((p) => p[0]) : nonDominatedRanks(points).map(Number);
  const infeasible = trials.map((t) => ((t.constraints ?? []).every((c) => c <= 0) ? 0 : 1));
  return trials
    .map((_, i) => i)
    .sort((a, b) => infeasible[a] - infeasible[b] || compare(key[a], key[b]) || a - b);
}

/** Ascending order that tolerates equal infinities (Infinity - Infinity is NaN). */
function compare(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
