import { JobCancelledError, JobContext, JobHandler } from '../platform/jobs/job-handler';
import { ValidationError } from '../platform/errors/domain-error';
import { prepareSimulation } from './core/prepare-simulation';
import { SimulationResult } from './core/simulation-result';
import { latencyCdfPng, utilisationPng } from './chart-artifacts';

export interface SimulateSpec {
  pipeline: Record<string, unknown>;
  traffic: Record<string, unknown>;
  durationS: number;
  warmupS: number;
  seed: number;
}

/** Events processed between progress reports and cancellation checks (~0.1 s of work). */
const CHUNK_EVENTS = 250_000;

/**
 * Job kind `simulate`: {pipeline, traffic, durationS, warmupS?, seed?}. validate() runs every
 * check the simulator does (field errors -> ValidationError, unstable system ->
 * UnprocessableError) so bad requests fail at POST time, not in the worker.
 */
export class SimulateJobHandler implements JobHandler<SimulateSpec, SimulationResult> {
  readonly kind = 'simulate';

  validate(spec: unknown): SimulateSpec {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
      throw ValidationError.field('spec', 'must be an object');
    const s = spec as Record<string, unknown>;
    const normalised = {
      pipeline: s.pipeline as Record<string, unknown>,
      traffic: s.traffic as Record<string, unknown>,
      durationS: s.durationS as number,
      warmupS: (s.warmupS ?? 0) as number,
      seed: (s.seed ?? 0) as number,
    };
    prepareSimulation(normalised);
    return normalised;
  }

  async run(spec: SimulateSpec, ctx: JobContext): Promise<SimulationResult> {
    const { simulation } = prepareSimulation(spec);
    await ctx.progress(0, 'simulating');
    while (!simulation.advance(CHUNK_EVENTS)) {
      if (ctx.cancelled) throw new JobCancelledError();
      await ctx.progress(
        simulation.progress,
        `simulated ${(simulation.progress * spec.durationS).toFixed(1)} of ${spec.durationS} s`,
      );
    }
    const result = simulation.result();
    if (result.truncated)
      await ctx.log(
        `stopped after ${result.events} events (event cap); statistics cover the simulated part`,
        'warn',
      );
    await ctx.metric('p99Ms', 0, result.latencyMs.p99);
    await ctx.metric('throughputRps', 0, result.throughputRps);
    await ctx.metric('dropRate', 0, result.requests.dropRate);
    await ctx.artifact('latency-cdf.png', latencyCdfPng(result), 'image/png');
    await ctx.artifact('utilisation.png', utilisationPng(result), 'image/png');
    await ctx.progress(1, 'done');
    return result;
  }
}
