import { StageLoad, assertStable, compilePipeline } from './pipeline';
import { SpecReader } from './pipeline-spec-reader';
import { SimulationResult } from './simulation-result';
import { Simulation } from './simulator';
import { sig } from './stats';
import { readTrafficInto } from './traffic/traffic-model-registry';
import { TrafficModel } from './traffic/traffic-model';

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

/**
 * Validate everything before simulating: the pipeline (ValidationError with field paths), the
 * traffic, the run options and the expected size of the run; then refuse unstable systems
 * (UnprocessableError naming the stage and its utilisation).
 */
export function prepareSimulation(input: {
  pipeline: unknown;
  traffic: unknown;
  durationS: unknown;
  warmupS?: unknown;
  seed?: unknown;
  maxEvents?: unknown;
  samplePoints?: unknown;
}): PreparedSimulation {
  const pipeline = compilePipeline(input.pipeline, 'pipeline');
  const r = new SpecReader();
  const makeTraffic = readTrafficInto(r, input.traffic, 'traffic');
  const durationS = r.number(input.durationS, 'durationS', { min: 0, exclusiveMin: true }) ?? 1;
  const warmupS = r.optionalNumber(input.warmupS, 'warmupS', 0, { min: 0 });
  if (warmupS >= durationS) r.fail('warmupS', `must be < durationS (${durationS}), got ${warmupS}`);
  const seed = r.optionalNumber(input.seed, 'seed', 0, { min: 0, max: 2 ** 53 - 1, integer: true });
  const maxEvents = r.optionalNumber(input.maxEvents, 'maxEvents', LIMITS.maxEvents, {
    min: 1,
    max: LIMITS.maxEvents,
    integer: true,
  });
  const samplePoints = r.optionalNumber(input.samplePoints, 'samplePoints', 100, {
    min: 0,
    max: LIMITS.maxSamplePoints,
    integer: true,
  });
  r.check('simulation');
  const traffic = (makeTraffic as () => TrafficModel)();
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
    simulation: new Simulation(pipeline, traffic, loads, seed, {
      durationS,
      warmupS,
      maxEvents,
      samplePoints,
    }),
    loads,
  };
}

/** Validate and run a whole simulation synchronously. */
export function simulate(input: Parameters<typeof prepareSimulation>[0]): SimulationResult {
  return prepareSimulation(input).simulation.run();
}
