/**
 * The one Pareto front of a NAS search: what the API (`paretoFront`), `pareto.json`,
 * `pareto.png` and `autodl nas show` all list. Feasible complete trials that no other one
 * dominates in accuracy (max) and the search's costs (min): the objective's costs for `multi`
 * (then these are the study's objective values and the front is the study's best trials, as
 * Optuna's `best_trials`), its cost for `scalarised`, and FLOPs for `accuracy` (the trade-off a
 * single-objective search still shows). Dominance and ranking: src/search/core/multi-objective.ts
 * (Deb 2002).
 */
import { nonDominatedRanks } from '../../search/core/multi-objective';
import { NasTrialRecord } from './candidate';
import { CostMetric } from './latency-cost';
import { NasObjective } from './objectives';

/** The costs the front trades accuracy against, the first one on the chart's x axis. */
export function frontCosts(objective: NasObjective): CostMetric[] {
  if (objective.kind === 'multi') return [...objective.costs];
  return objective.kind === 'scalarised' ? [objective.cost] : ['flops'];
}

/** The front, sorted by the first cost (then accuracy, best first, then trial number). */
export function nasParetoFront(
  records: readonly NasTrialRecord[],
  costs: readonly CostMetric[],
): NasTrialRecord[] {
  const pool = records.filter(
    (r) =>
      r.state === 'complete' &&
      r.feasible &&
      r.accuracy !== undefined &&
      costs.every((c) => r.cost[c] !== undefined),
  );
  const points = pool.map((r) => [
    -(r.accuracy as number),
    ...costs.map((c) => r.cost[c] as number),
  ]);
  const ranks = nonDominatedRanks(points);
  const x = costs[0];
  return pool
    .filter((_, i) => ranks[i] === 0)
    .sort(
      (a, b) =>
        (a.cost[x] as number) - (b.cost[x] as number) ||
        (b.accuracy as number) - (a.accuracy as number) ||
        a.number - b.number,
    );
}
