import { JobCancelledError, JobContext, JobHandler } from '../platform/jobs/job-handler';
import { TuneSpec } from './core/tune/tune-spec';
import { TuneCheckpoint, TuneResult, tune } from './core/tune/tuner';
import { paretoPng } from './chart-artifacts';
import { tuneSpec } from './sim-specs.schema';

/**
 * Job kind `tune`: {pipeline, traffic, slo, space, budget, seeds, sampler?, objective?,
 * durationS?, warmupS?, seed?}, validated and normalised by its schema (sim-specs.schema.ts)
 * with the tuner's own checks. One progress step and three metrics per trial. Every 10 trials
 * the simulated evaluations are checkpointed; the search is deterministic for its seeds, so a
 * re-queued job replays the same trials from the checkpoint without simulating them again.
 */
export class TuneJobHandler implements JobHandler<TuneSpec, TuneResult> {
  readonly kind = 'tune';

  /** Fields are named as in the request body (`space[0].stage`); /v1/jobs adds `spec.`. */
  validate(spec: unknown): TuneSpec {
    return tuneSpec.parse(spec, '');
  }

  async run(spec: TuneSpec, ctx: JobContext): Promise<TuneResult> {
    const result = await tune(spec, {
      cancelled: () => ctx.cancelled,
      resumeFrom: asCheckpoint(ctx.resumeFrom),
      checkpoint: (state) => ctx.checkpoint(state),
      onTrial: async (rec, total) => {
        await ctx.metric('cost', rec.trial, rec.cost);
        if (Number.isFinite(rec.p99Ms)) await ctx.metric('p99Ms', rec.trial, rec.p99Ms);
        await ctx.metric('feasible', rec.trial, rec.feasible ? 1 : 0);
        await ctx.progress(
          (rec.trial + 1) / total,
          `trial ${rec.trial + 1}/${total}, ${rec.simulations} simulations`,
        );
      },
    });
    if (ctx.cancelled) throw new JobCancelledError();
    await ctx.artifact('pareto.png', paretoPng(result, spec.slo.p99Ms), 'image/png');
    await ctx.progress(
      1,
      result.best ? `best cost ${result.best.cost}` : 'no configuration met the SLO',
    );
    return result;
  }
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
