/**
 * What a NAS job reports: the result JSON (space, objectives, seed, counts, best, leaderboard top
 * 20, Pareto front), the `accuracy` / `flops` metrics per trial, and the artifacts `trials.json`,
 * `pareto.json` and `pareto.png`. Built from trial records, whichever process trained them. The
 * front is computed once (front.ts); `pareto.json`, the chart's highlighted points and the API's
 * `paretoFront` are that one list.
 */
import { chartPng, nasFrontData, nasFrontOption } from '../../platform/charts/chart-images';
import { JobContext } from '../../platform/jobs/job-handler';
import { NasTrialRecord } from './candidate';
import { CostMetric } from './cost';
import { NasResult, NasTrialCounts } from './driver';
import { frontCosts, nasParetoFront } from './front';
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

/** A finished trial's metrics (idempotent per step: the trial number). */
export async function trialMetrics(ctx: JobContext, t: NasTrialRecord): Promise<void> {
  if (t.accuracy !== undefined && t.state === 'complete')
    await ctx.metric('accuracy', t.number, t.accuracy);
  await ctx.metric('flops', t.number, t.cost.flops);
}

/** Writes metrics and artifacts of a finished search and returns the job result. */
export async function publishNasResult(
  ctx: JobContext,
  space: { type: string; config: object },
  spec: { objective: NasObjective; seed: number },
  result: NasResult,
): Promise<NasJobResult> {
  for (const t of result.trials) await trialMetrics(ctx, t);
  const out = nasJobResult(space, spec, result);
  const trials = result.trials.map(summariseTrial);
  await ctx.artifact('trials.json', JSON.stringify(trials, null, 2), 'application/json');
  await ctx.artifact('pareto.json', JSON.stringify(out.paretoFront, null, 2), 'application/json');
  const png = paretoChart(space.type, out.frontCosts[0], trials, out.paretoFront);
  if (png) await ctx.artifact('pareto.png', png, 'image/png');
  return out;
}

/**
 * `pareto.png`: every complete trial with an accuracy as a point (validation accuracy vs the
 * front's first cost; infeasible ones apart) and exactly the given front highlighted; undefined
 * when there is nothing to plot. Takes the summaries the API serves, so anyone (the console too,
 * through `nasFrontData` and the shared `nasFrontOption`) can redraw it from `trials.json` and
 * the front: same definition, same bytes.
 */
export function paretoChart(
  spaceType: string,
  x: CostMetric,
  trials: readonly TrialSummary[],
  front: readonly TrialSummary[],
): Buffer | undefined {
  const data = nasFrontData(spaceType, x, trials, front);
  if (data.points.length === 0) return undefined;
  return chartPng(nasFrontOption(data));
}

/** The NAS front chart's data (the shared definition the console also uses). */
export { nasFrontData };

/** Accuracy (max) vs FLOPs (min) front of the given trials (the benchmarks' charts). */
export function paretoOf(trials: readonly NasTrialRecord[]): NasTrialRecord[] {
  return nasParetoFront(trials, ['flops']);
}
