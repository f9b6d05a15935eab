/**
 * What a NAS job reports: the result JSON (space, objectives, best, leaderboard top 20, Pareto
 * front), the `accuracy` / `flops` metrics per trial, and the artifacts `trials.json`,
 * `pareto.json` and `pareto.png`. Built from trial records, whichever process trained them.
 */
import { scatterChart } from '../../platform/charts';
import { JobContext } from '../../platform/jobs/job-handler';
import { NasTrialRecord } from './candidate';
import { NasResult } from './driver';
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
}

export interface NasJobResult {
  space: { type: string; config: object };
  objectives: string[];
  directions: string[];
  stoppedBy: NasResult['stoppedBy'];
  trials: number;
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
  };
}

/** The job result (also what GET /v1/nas/:id shows of a running search). */
export function nasJobResult(
  space: { type: string; config: object },
  objective: NasObjective,
  result: NasResult,
): NasJobResult {
  return {
    space: { type: space.type, config: space.config },
    objectives: objectiveNames(objective),
    directions: result.directions,
    stoppedBy: result.stoppedBy,
    trials: result.trials.length,
    ...(result.best && { best: summariseTrial(result.best) }),
    leaderboard: result.leaderboard.slice(0, 20).map(summariseTrial),
    paretoFront: result.paretoFront.map(summariseTrial),
  };
}

/** One log line per finished trial. */
export function describeTrial(r: NasTrialRecord): string {
  return `trial ${r.number} ${r.state}: ${r.accuracy?.toFixed(4) ?? '-'} accuracy, ${r.cost.flops} FLOPs, ${r.cost.params} params${r.error ? ` (${r.error})` : ''}`;
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
  objective: NasObjective,
  result: NasResult,
): Promise<NasJobResult> {
  for (const t of result.trials) await trialMetrics(ctx, t);
  const out = nasJobResult(space, objective, result);
  await ctx.artifact(
    'trials.json',
    JSON.stringify(result.trials.map(summariseTrial), null, 2),
    'application/json',
  );
  await ctx.artifact('pareto.json', JSON.stringify(out.paretoFront, null, 2), 'application/json');
  const done = result.trials.filter(
    (t) => t.state === 'complete' && t.feasible && t.accuracy !== undefined,
  );
  if (done.length > 0) {
    const png = scatterChart({
      title: `NAS ${space.type}: accuracy vs MFLOPs`,
      xLabel: 'MFLOPs',
      yLabel: 'validation accuracy',
      points: done.map((t) => ({ x: t.cost.flops / 1e6, y: t.accuracy as number })),
      front: paretoOf(done).map((t) => ({ x: t.cost.flops / 1e6, y: t.accuracy as number })),
      frontLabel: 'Pareto front',
    });
    await ctx.artifact('pareto.png', png, 'image/png');
  }
  return out;
}

/** Accuracy (max) vs FLOPs (min) front of the given trials, for the chart whatever the objective. */
export function paretoOf(trials: readonly NasTrialRecord[]): NasTrialRecord[] {
  const sorted = [...trials].sort(
    (a, b) => a.cost.flops - b.cost.flops || (b.accuracy as number) - (a.accuracy as number),
  );
  const out: NasTrialRecord[] = [];
  let bestAcc = -Infinity;
  for (const t of sorted)
    if ((t.accuracy as number) > bestAcc) {
      out.push(t);
      bestAcc = t.accuracy as number;
    }
  return out;
}
