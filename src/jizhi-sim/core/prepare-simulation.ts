import { PipelineSpec, StageLoad, assertStable, compilePipeline } from './pipeline';
import { Problems } from './problems';
import { SimulationResult } from './simulation-result';
import { Simulation } from './simulator';
import { sig } from './stats';
import { TrafficSpec, trafficFactory } from './traffic/traffic-model-registry';

/** Run settings, as in the `simulate` job spec. */
export interface SimulationOptions {
  /** Arrivals are generated in [0, durationS); the run then drains the requests in flight. */
  durationS: number;
  /** Statistics ignore requests arriving before warmupS (and time before it). */
  warmupS?: number;
  seed?: number;
  /** Hard cap on processed events; a run that hits it stops and says `truncated: true`. */
  maxEvents?: number;
  /** Number of queue-length samples over [0, durationS]. */
  samplePoints?: number;
}

/** Upper bounds that keep any request from running for ever. */
export const LIMITS = {
  maxExpectedArrivals: 50_000_000,
  maxEvents: 500_000_000,
  maxSamplePoints: 10_000,
};

/** A validated, stability-checked simulation, ready to run. */
export interface PreparedSimulation {
  simulation: Simulation;
  loads: StageLoad[];
}

/** What a simulation runs: a pipeline, its traffic and the run settings. */
export interface SimulationInput extends SimulationOptions {
  pipeline: PipelineSpec;
  traffic: TrafficSpec;
}

/**
 * Checks what the job schema cannot before simulating: the pipeline's graph and models
 * (ValidationError with field paths), warm-up inside the run, the expected size of the run;
 * then refuses unstable systems (UnprocessableError naming the stage and its utilisation).
 */
export function prepareSimulation(input: SimulationInput): PreparedSimulation {
  const pipeline = compilePipeline(input.pipeline, 'pipeline');
  const makeTraffic = trafficFactory(input.traffic, 'traffic');
  const r = new Problems();
  const { durationS } = input;
  const warmupS = input.warmupS ?? 0;
  if (warmupS >= durationS) r.fail('warmupS', `must be < durationS (${durationS}), got ${warmupS}`);
  r.check('simulation');
  const traffic = makeTraffic();
  const expected = traffic.meanRate() * durationS;
  if (expected > LIMITS.maxExpectedArrivals) {
    r.fail(
      'durationS',
      `expects ${Math.round(expected)} arrivals (${sig(traffic.meanRate())} req/s x ${durationS} s); at most ${LIMITS.maxExpectedArrivals} per run`,
    );
    r.check('simulation');
  }
  const loads = assertStable(pipeline, traffic.meanRate());
  return {
    simulation: new Simulation(pipeline, traffic, loads, input.seed ?? 0, {
      durationS,
      warmupS,
      maxEvents: Math.min(input.maxEvents ?? LIMITS.maxEvents, LIMITS.maxEvents),
      samplePoints: Math.min(input.samplePoints ?? 100, LIMITS.maxSamplePoints),
    }),
    loads,
  };
}

/** Validate and run a whole simulation synchronously. */
export function simulate(input: SimulationInput): SimulationResult {
  return prepareSimulation(input).simulation.run();
}
