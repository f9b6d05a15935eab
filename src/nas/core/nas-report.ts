/**
 * What a NAS search reports, as plain data: the result JSON (space, objectives, seed, counts,
 * best, leaderboard top 20, Pareto front) built from trial records whichever process trained
 * them, and one log line per trial. The front is computed once (front.ts); the API's
 * `paretoFront`, `pareto.json` and the chart's highlighted points are that one list.
 */
import { NasTrialRecord } from './candidate';
import { nasParetoFront, frontCosts } from './front';
import { CostMetric } from './latency-cost';
import { NasResult, NasTrialCounts } from './nas-summary';
import { NasObjective, objectiveNames } from './objectives';

export interface TrialSummary {
  number: number;
  state: string;
  encoding: unknown;
  accuracy?: number;
  values?: number[];
  params: number;
  flops: number;
  latencyMs?: number;
  epochsTrained: number;
  parent?: number;
  /** Every constraint value <= 0 (a trial without constraints is feasible). */
  feasible: boolean;
  /** Constraint values metric - max, in the order of the spec's constraints. */
  constraints?: number[];
}

export interface NasJobResult {
  space: { type: string; config: object };
  objectives: string[];
  directions: string[];
  stoppedBy: NasResult['stoppedBy'];
  /** The seed the search ran with (the spec's or a random one): pass it to reproduce the search. */
  seed: number;
  trials: number;
  counts: NasTrialCounts;
  /** The costs the Pareto front trades accuracy against (the chart's x axis is the first). */
  frontCosts: CostMetric[];
  best?: TrialSummary;
  leaderboard: TrialSummary[];
  paretoFront: TrialSummary[];
}

export function summariseTrial(t: NasTrialRecord): TrialSummary {
  return {
    number: t.number,
    state: t.state,
    encoding: t.encoding,
    ...(t.accuracy !== undefined && { accuracy: t.accuracy }),
    ...(t.values && { values: t.values }),
    params: t.cost.params,
    flops: t.cost.flops,
    ...(t.cost.latencyMs !== undefined && { latencyMs: t.cost.latencyMs }),
    epochsTrained: t.epochsTrained,
    ...(t.parent !== undefined && { parent: t.parent }),
    feasible: t.feasible,
    ...(t.constraints && { constraints: t.constraints }),
  };
}

/** The job result (also what GET /v1/nas/:id shows of a running search). */
export function nasJobResult(
  space: { type: string; config: object },
  spec: { objective: NasObjective; seed: number },
  result: NasResult,
): NasJobResult {
  return {
    space: { type: space.type, config: space.config },
    objectives: objectiveNames(spec.objective),
    directions: result.directions,
    stoppedBy: result.stoppedBy,
    seed: spec.seed,
    trials: result.trials.length,
    counts: result.counts,
    frontCosts: frontCosts(spec.objective),
    ...(result.best && { best: summariseTrial(result.best) }),
    leaderboard: result.leaderboard.slice(0, 20).map(summariseTrial),
    paretoFront: result.paretoFront.map(summariseTrial),
  };
}

/** One log line per finished trial. */
export function describeTrial(r: NasTrialRecord, rejectedDraws?: unknown): string {
  const state = r.state === 'complete' && !r.feasible ? 'infeasible' : r.state;
  const notes = [
    ...(r.error ? [r.error] : []),
    ...(state === 'infeasible' ? [`constraint values ${JSON.stringify(r.constraints)}`] : []),
    ...(typeof rejectedDraws === 'number' && rejectedDraws > 0
      ? [`${rejectedDraws} over-budget candidates re-drawn before it`]
      : []),
  ];
  return `trial ${r.number} ${state}: ${r.accuracy?.toFixed(4) ?? '-'} accuracy, ${r.cost.flops} FLOPs, ${r.cost.params} params${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

/** Accuracy (max) vs FLOPs (min) front of the given trials (the benchmarks' charts). */
export function paretoOf(trials: readonly NasTrialRecord[]): NasTrialRecord[] {
  return nasParetoFront(trials, ['flops']);
}
