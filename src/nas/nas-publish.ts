/**
 * Publishing a finished NAS search from its job: the `accuracy` / `flops` metrics per trial and
 * the artifacts `trials.json`, `pareto.json` and `pareto.png` (core/nas-report.ts builds the
 * data; the chart is the shared `nasFrontOption`, so the console redraws the same picture).
 */
import { chartPng, nasFrontData, nasFrontOption } from '../platform/charts/chart-images';
import { JobContext } from '../platform/jobs/job-handler';
import { NasTrialRecord } from './core/candidate';
import { CostMetric } from './core/latency-cost';
import { NasJobResult, TrialSummary, nasJobResult, summariseTrial } from './core/nas-report';
import { NasResult } from './core/nas-summary';
import { NasObjective } from './core/objectives';

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
