import { JobCancelledError, JobContext, JobHandler } from '../platform/jobs/job-handler';
import { TuneSpec } from './core/tune/tune-spec';
import {
  cheaperConfig,
  ConfigEvaluation,
  TuneCheckpoint,
  TuneResult,
  tune,
} from './core/tune/tuner';
import { paretoPng } from './chart-artifacts';
import { tuneSpec } from './sim-specs.schema';

/**
 * Job kind `tune`: {pipeline, traffic, slo, space, budget, seeds, sampler?, objective?,
 * durationS?, warmupS?, seed?}, validated and normalised by its schema (sim-specs.schema.ts)
 * with the tuner's own checks. One progress step and three metrics per trial, a log line per new
 * best. Every 10 trials the simulated evaluations are checkpointed; the search is deterministic
 * for its seeds, so a re-queued job replays the same trials from the checkpoint without
 * simulating them again.
 */
export class TuneJobHandler implements JobHandler<TuneSpec, TuneResult> {
  readonly kind = 'tune';

  /** Fields are named as in the request body (`space[0].stage`); /v1/jobs adds `spec.`. */
  validate(spec: unknown): TuneSpec {
    return tuneSpec.parse(spec, '');
  }

  async run(spec: TuneSpec, ctx: JobContext): Promise<TuneResult> {
    await ctx.log(
      `tuning ${spec.space.length} parameters of ${spec.pipeline.stages.length} stages with ${spec.sampler} over ${spec.budget.trials} trials (${spec.seeds} simulation seed(s) each, ${spec.durationS} s of traffic) against p99 <= ${spec.slo.p99Ms} ms`,
    );
    // The log keeps the improvements (a line per new best), not every trial: a budget may be
    // thousands of trials, which the metrics and the result already hold.
    let best: { cost: number; p99Ms: number } | null = null;
    const result = await tune(spec, {
      cancelled: () => ctx.cancelled,
      resumeFrom: asCheckpoint(ctx.resumeFrom),
      checkpoint: (state) => ctx.checkpoint(state),
      onTrial: async (rec, total) => {
        await ctx.metric('cost', rec.trial, rec.cost);
        if (Number.isFinite(rec.p99Ms)) await ctx.metric('p99Ms', rec.trial, rec.p99Ms);
        await ctx.metric('feasible', rec.trial, rec.feasible ? 1 : 0);
        if (rec.feasible && (best === null || cheaperConfig(rec, best))) {
          best = rec;
          await ctx.log(`trial ${rec.trial}: ${describe(rec)}, the best so far`);
        }
        await ctx.progress(
          (rec.trial + 1) / total,
          `trial ${rec.trial + 1}/${total}, ${rec.simulations} simulations`,
        );
      },
    });
    if (ctx.cancelled) throw new JobCancelledError();
    await ctx.artifact('pareto.png', paretoPng(result, spec.slo.p99Ms), 'image/png');
    await ctx.log(
      result.best
        ? `chosen: ${describe(result.best)} (${result.trials} trials, ${result.simulations} simulations)`
        : `no configuration met the SLO in ${result.trials} trials (${result.simulations} simulations)`,
      result.best ? 'info' : 'warn',
    );
    await ctx.progress(
      1,
      result.best ? `best cost ${result.best.cost}` : 'no configuration met the SLO',
    );
    return result;
  }
}

function describe(e: ConfigEvaluation): string {
  const params = Object.entries(e.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `cost ${Number(e.cost.toPrecision(4))}, p99 ${e.p99Ms.toFixed(1)} ms, drop rate ${Number(e.dropRate.toPrecision(3))}${params ? ` (${params})` : ''}`;
}

/** Our own checkpoint comes back as JSON; accept it only in the shape we wrote. */
function asCheckpoint(state: unknown): TuneCheckpoint | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const s = state as Partial<TuneCheckpoint>;
  if (!Array.isArray(s.evaluations) || !Array.isArray(s.simulationsByTrial)) return undefined;
  if (typeof s.simulations !== 'number') return undefined;
  return {
    evaluations: s.evaluations,
    simulations: s.simulations,
    simulationsByTrial: s.simulationsByTrial,
  };
}
