import { JobCancelledError, JobContext, JobHandler } from '../platform/jobs/job-handler';
import { prepareSimulation } from './core/prepare-simulation';
import { SimulationResult } from './core/simulation-result';
import { latencyCdfPng, utilisationPng } from './chart-artifacts';
import { SimulateSpec, simulateSpec } from './sim-specs.schema';

export type { SimulateSpec } from './sim-specs.schema';

/** Events processed between progress reports and cancellation checks (~0.1 s of work). */
const CHUNK_EVENTS = 250_000;

/**
 * Job kind `simulate`: {pipeline, traffic, durationS, warmupS?, seed?}. validate() is the kind's
 * schema (sim-specs.schema.ts) with every check the simulator does (field errors ->
 * ValidationError, unstable system -> UnprocessableError), so bad requests fail at POST time,
 * not in the worker; the stored spec carries every default.
 */
export class SimulateJobHandler implements JobHandler<SimulateSpec, SimulationResult> {
  readonly kind = 'simulate';

  /** Fields are named as in the request body (`pipeline.stages[1]`); /v1/jobs adds `spec.`. */
  validate(spec: unknown): SimulateSpec {
    return simulateSpec.parse(spec, '');
  }

  async run(spec: SimulateSpec, ctx: JobContext): Promise<SimulationResult> {
    const { simulation } = prepareSimulation(spec);
    await ctx.log(
      `simulating ${spec.durationS} s of ${spec.traffic.model} traffic (the first ${spec.warmupS} s as warm-up) through ${spec.pipeline.stages.length} stages: ${spec.pipeline.stages.map((s) => s.id).join(' -> ')}`,
    );
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
    await ctx.log(
      `done: p99 ${result.latencyMs.p99.toFixed(1)} ms, ${result.throughputRps.toFixed(1)} req/s, drop rate ${Number(result.requests.dropRate.toPrecision(3))}, ${result.events} events`,
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
