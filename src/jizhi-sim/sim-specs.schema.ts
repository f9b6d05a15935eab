import { Type, type Static, type TInteger, type TNumber } from '@sinclair/typebox';
import { specSchema } from '../platform/validation/spec-schema';
import { StringEnum, StringMap, TaggedUnion } from '../platform/validation/schema-builders';
import { prepareSimulation } from './core/prepare-simulation';
import { MAX_RING_GPUS, MAX_RING_ROWS } from './core/ring';
import {
  FLOAT_PARAMS,
  MAX_TUNE_SEEDS,
  MAX_TUNE_TRIALS,
  TUNABLE_PARAMS,
  normaliseTuneSpec,
  type TunableParam,
} from './core/tune/tune-spec';
import { TUNE_SAMPLERS } from './core/tune/tune-samplers';
import { RECOMMENDER_PIPELINE, RING_EXAMPLE, SIMULATE_EXAMPLE, TUNE_EXAMPLE } from './api-examples';
import { PipelineSchema, TrafficSchema } from './core/pipeline-schema';

/*
 * The one schema of each simulator request (ARCHITECTURE.md, "one schema per job kind"): the
 * `simulate` and `tune` job specs, which are also the bodies of POST /v1/simulations and
 * /v1/tunings, and the body of POST /v1/ring. Each drives the OpenAPI description, validation
 * with field paths and defaults; the refinement runs the simulator's own checks (graph,
 * stability, the space against the pipeline), so the stored spec is the normalised one and a
 * worker only parses it.
 */

const MAX_SEED = 2 ** 31 - 1;
const Seed = (description: string, extra: object = {}) =>
  Type.Integer({ minimum: 0, maximum: MAX_SEED, description, ...extra });

const pipeline = () => ({ ...PipelineSchema, example: RECOMMENDER_PIPELINE });

const SimulateSchema = Type.Object(
  {
    pipeline: pipeline(),
    traffic: TrafficSchema,
    durationS: Type.Number({
      exclusiveMinimum: 0,
      description: 'Arrivals are generated in [0, durationS); requests in flight then drain',
    }),
    warmupS: Type.Number({
      minimum: 0,
      default: 0,
      description: 'Statistics ignore requests arriving before warmupS (< durationS)',
    }),
    seed: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      default: 0,
      description: 'Simulation seed; the same seed gives byte-identical results',
    }),
  },
  {
    additionalProperties: false,
    example: { pipeline: RECOMMENDER_PIPELINE, ...SIMULATE_EXAMPLE },
  },
);

/** A `simulate` spec as stored: every default filled in. */
export type SimulateSpec = Static<typeof SimulateSchema>;

/**
 * `simulate`: validated and normalised, then checked by the simulator itself (400 naming the
 * field, 422 naming an unstable stage) so a bad request fails at POST time, not in the worker.
 */
export const simulateSpec = specSchema(SimulateSchema, (spec): SimulateSpec => {
  prepareSimulation(spec);
  return spec;
});

/** Per tunable parameter, the numbers it takes (those of the pipeline field it sets). */
const PARAM_VALUES: Record<TunableParam, () => TInteger | TNumber> = {
  instances: () => Type.Integer({ minimum: 1 }),
  'batch.maxSize': () => Type.Integer({ minimum: 1, maximum: 4096 }),
  'batch.maxDelayMs': () => Type.Number({ minimum: 0 }),
  'cache.capacity': () => Type.Integer({ minimum: 0 }),
  'cutoff.queueThreshold': () => Type.Integer({ minimum: 0 }),
  'autoscale.targetUtilisation': () => Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
  'autoscale.cooldownS': () => Type.Number({ minimum: 0 }),
};

function dimension(param: TunableParam) {
  const value = PARAM_VALUES[param];
  const integer = !FLOAT_PARAMS.has(param);
  return Type.Object(
    {
      stage: Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'A stage id of the pipeline',
      }),
      param: Type.Literal(param),
      values: Type.Optional(
        Type.Array(value(), {
          minItems: 1,
          maxItems: 1000,
          description: 'Explicit values (instead of low/high)',
        }),
      ),
      low: Type.Optional(value()),
      high: Type.Optional(value()),
      step: Type.Optional(
        integer
          ? Type.Integer({ exclusiveMinimum: 0, description: 'Grid step of the range' })
          : Type.Number({ exclusiveMinimum: 0, description: 'Grid step of the range' }),
      ),
    },
    { additionalProperties: false },
  );
}

const TuneSchema = Type.Object(
  {
    pipeline: pipeline(),
    traffic: TrafficSchema,
    slo: Type.Object(
      {
        p99Ms: Type.Number({ exclusiveMinimum: 0, description: 'p99 latency target (ms)' }),
        maxDropRate: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.001,
          description: 'Largest acceptable drop rate',
        }),
        maxAccuracyPenalty: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 1,
          description: 'Largest acceptable mean accuracy penalty (feature cut-off)',
        }),
      },
      { additionalProperties: false },
    ),
    space: Type.Array(
      TaggedUnion(
        'param',
        TUNABLE_PARAMS.map((p) => dimension(p)),
      ),
      {
        minItems: 1,
        maxItems: 100,
        description: 'Search dimensions: per stage, a tunable parameter with values or low/high',
      },
    ),
    budget: Type.Object(
      {
        trials: Type.Integer({
          minimum: 1,
          maximum: MAX_TUNE_TRIALS,
          description: 'Configurations to try',
        }),
      },
      { additionalProperties: false },
    ),
    seeds: Type.Integer({
      minimum: 1,
      maximum: MAX_TUNE_SEEDS,
      default: 3,
      description: 'Simulation seeds per configuration (metrics averaged)',
    }),
    sampler: Type.Optional(
      StringEnum(TUNE_SAMPLERS, { description: 'Default tpe (min-cost) or nsga2 (pareto)' }),
    ),
    samplerOptions: StringMap(
      Type.Unknown(),
      {},
      {
        default: {},
        description:
          'Settings of the sampler, e.g. {"nStartupTrials": 20}; the sampler checks them (seed: use samplerSeed)',
      },
    ),
    samplerSeed: Type.Optional(Seed('Seeds the sampler (default: seed)')),
    objective: StringEnum(['min-cost', 'pareto'], {
      default: 'min-cost',
      description: '`min-cost`: cheapest config meeting the SLO; `pareto`: the cost vs p99 front',
    }),
    durationS: Type.Number({
      exclusiveMinimum: 0,
      default: 60,
      description: 'Simulated seconds per run',
    }),
    warmupS: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'Warm-up removed from each run (s); default min(5, durationS / 10)',
      }),
    ),
    seed: Seed('Seeds the simulations', { default: 0 }),
  },
  { additionalProperties: false, example: { pipeline: RECOMMENDER_PIPELINE, ...TUNE_EXAMPLE } },
);

/** `tune`: validated, defaults resolved (also those depending on other fields), checked. */
export const tuneSpec = specSchema(TuneSchema, (spec) => normaliseTuneSpec(spec));

const RingSchema = Type.Object(
  {
    tCalcMs: Type.Number({
      exclusiveMinimum: 0,
      description: 'Compute time of one iteration on one GPU (ms)',
    }),
    tTransmitMs: Type.Number({
      minimum: 0,
      description: 'Time to send the whole model over one link (ms)',
    }),
    tMergeMs: Type.Number({ minimum: 0, description: 'Time to add a whole model (ms)' }),
    jitterCv: Type.Number({
      minimum: 0,
      maximum: 10,
      default: 0,
      description: 'Coefficient of variation of every step (log-normal) for the simulation',
    }),
    gpus: Type.Array(Type.Integer({ minimum: 1, maximum: MAX_RING_GPUS }), {
      minItems: 1,
      maxItems: MAX_RING_ROWS,
      description: 'GPU counts to tabulate',
    }),
  },
  { additionalProperties: false, example: RING_EXAMPLE },
);

/** The body of POST /v1/ring (answered synchronously, no job). */
export const ringRequest = specSchema(RingSchema);
