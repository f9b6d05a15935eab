import { Type } from '@sinclair/typebox';
import { StringEnum, TaggedUnion } from '../../platform/validation/schema-builders';

/*
 * The pipeline and traffic documents of the simulator (docs/jizhi-sim.md): their one schema. It
 * gives the OpenAPI description of /v1/simulations and /v1/tunings, the shape checks and the
 * defaults of the `simulate` and `tune` job specs, and it is what the core's own readers
 * (`compilePipeline`, `trafficFactory`) check a hand-built spec against, so a library caller gets
 * the same 400s as a REST client. Every object is closed (additionalProperties: false): a typo
 * such as `bacth` or `queue.capacty` is an error naming the field and the key it resembles, never
 * a silently ignored setting. What JSON Schema cannot say stays in the core (pipeline.ts: stage
 * references, cycles, the LRU key total, the empirical profile covering the largest batch,
 * stability; traffic models check their own consistency).
 */

/** Largest pipeline and LRU key count a request may describe (bounded validation and memory). */
export const MAX_STAGES = 1000;
export const MAX_CACHE_KEYS = 10_000_000;

const NonNegative = (description?: string) => Type.Number({ minimum: 0, description });
const Positive = (description?: string) => Type.Number({ exclusiveMinimum: 0, description });
const PerItemMs = Type.Number({
  minimum: 0,
  default: 0,
  description: 'Added per request of a batch (ms)',
});
const FixedMs = NonNegative('Service time of a batch, before perItemMs (ms)');

/** Mean `fixedMs + perItemMs * b` for a batch of b; the distribution around it per `dist`. */
const ServiceSchema = TaggedUnion(
  'dist',
  [
    Type.Object(
      { dist: Type.Literal('deterministic'), fixedMs: FixedMs, perItemMs: PerItemMs },
      { additionalProperties: false },
    ),
    Type.Object(
      { dist: Type.Literal('exponential'), fixedMs: FixedMs, perItemMs: PerItemMs },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        dist: Type.Literal('lognormal'),
        fixedMs: FixedMs,
        perItemMs: PerItemMs,
        cv: NonNegative('Coefficient of variation'),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        dist: Type.Literal('empirical'),
        profile: Type.Array(
          Type.Object(
            {
              batchSize: Type.Integer({ minimum: 1 }),
              latenciesMs: Type.Array(NonNegative(), { minItems: 1 }),
            },
            { additionalProperties: false },
          ),
          {
            minItems: 1,
            description: 'Measured latencies per batch size; must cover the largest batch',
          },
        ),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      'Service time of one batch (dist: deterministic, exponential, lognormal, empirical)',
  },
);

const HitLatencyMs = Type.Number({ minimum: 0, default: 0, description: 'Latency of a hit (ms)' });
const OnHit = StringEnum(['skip-stage', 'exit'], {
  default: 'skip-stage',
  description:
    '`skip-stage`: a hit skips this stage and goes on downstream; `exit`: a hit answers the request, skipping every downstream stage',
});

const CacheSchema = TaggedUnion(
  'model',
  [
    Type.Object(
      {
        model: Type.Literal('hit-ratio'),
        hitRatio: Type.Number({ minimum: 0, maximum: 1 }),
        hitLatencyMs: HitLatencyMs,
        onHit: OnHit,
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        model: Type.Literal('lru'),
        capacity: Type.Integer({ minimum: 0 }),
        keys: Type.Integer({ minimum: 1, maximum: MAX_CACHE_KEYS }),
        zipfS: NonNegative('Zipf exponent of key popularity'),
        hitLatencyMs: HitLatencyMs,
        onHit: OnHit,
        entryBytes: Type.Number({
          minimum: 0,
          default: 0,
          description:
            'Memory of one cached entry (bytes); with memoryPricePerGibHour, prices the capacity',
        }),
        memoryPricePerGibHour: Type.Number({
          minimum: 0,
          default: 0,
          description:
            'Price of one GiB of cache memory per hour (capacity x entryBytes is charged)',
        }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'A result cache in front of the stage; hits skip it' },
);

const RouteSchema = Type.Array(
  Type.Object(
    {
      to: Type.String({ minLength: 1 }),
      probability: Type.Number({ minimum: 0, maximum: 1 }),
    },
    { additionalProperties: false },
  ),
  {
    minItems: 1,
    description:
      'Instead of next: send each request to ONE of these stages, with these probabilities (summing to 1)',
  },
);

const ResourcesSchema = Type.Object(
  {
    cpu: Type.Optional(NonNegative('vCPUs per instance')),
    gpu: Type.Optional(NonNegative('GPUs per instance')),
    memoryGib: Type.Optional(NonNegative('Memory per instance (GiB)')),
  },
  {
    additionalProperties: false,
    description:
      "What one instance holds; priced by the pipeline's resourcePrices when pricePerHour is 0",
  },
);

const StageSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 256 }),
    instances: Type.Integer({
      minimum: 1,
      description: 'Servers in parallel; each serves one batch at a time',
    }),
    pricePerHour: Type.Number({ minimum: 0, default: 0, description: 'Price per instance-hour' }),
    resources: Type.Optional(ResourcesSchema),
    instanceTypes: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            count: Type.Integer({ minimum: 1 }),
            speed: Type.Number({
              exclusiveMinimum: 0,
              default: 1,
              description: 'Relative speed: the service time is divided by it',
            }),
            pricePerHour: Type.Optional(
              Type.Number({ minimum: 0, description: 'Price per instance-hour of this type' }),
            ),
            resources: Type.Optional(ResourcesSchema),
          },
          { additionalProperties: false },
        ),
        {
          minItems: 1,
          description:
            'Heterogeneous instances behind the one queue; counts must add up to instances',
        },
      ),
    ),
    autoscale: Type.Optional(
      Type.Object(
        {
          min: Type.Integer({ minimum: 1 }),
          max: Type.Integer({ minimum: 1, maximum: 100_000 }),
          targetUtilisation: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
          intervalS: Type.Number({
            exclusiveMinimum: 0,
            default: 10,
            description: 'How often the policy looks at the utilisation (s)',
          }),
          cooldownS: Type.Number({
            minimum: 0,
            default: 60,
            description: 'Least time between two changes (s)',
          }),
          tolerance: Type.Number({
            minimum: 0,
            maximum: 1,
            default: 0.1,
            description: 'No change while utilisation / target is within 1 +- tolerance',
          }),
        },
        {
          additionalProperties: false,
          description:
            'Scale instances between min and max towards a target utilisation (instances is the start)',
        },
      ),
    ),
    dispatch: StringEnum(['fastest-free', 'random'], {
      default: 'fastest-free',
      description: 'Which idle instance takes the next batch (with instanceTypes)',
    }),
    next: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        uniqueItems: true,
        description:
          'Downstream stages. Several entries fork the request; a stage with several upstream stages joins (waits for all branches)',
      }),
    ),
    route: Type.Optional(RouteSchema),
    service: ServiceSchema,
    network: Type.Optional(
      Type.Object(
        {
          delayMs: NonNegative('Mean delay of the hop after this stage (ms)'),
          dist: StringEnum(['deterministic', 'exponential'], { default: 'deterministic' }),
          minMs: Type.Optional(
            NonNegative(
              "Exponential only: the hop's floor; the delay is minMs + an exponential of mean delayMs - minMs (at most delayMs)",
            ),
          ),
          stall: Type.Optional(
            Type.Object(
              {
                probability: Type.Number({ minimum: 0, maximum: 1 }),
                meanMs: NonNegative('Mean of a stall (ms)'),
              },
              {
                additionalProperties: false,
                description:
                  'Stalls on top of the hop: with `probability` it also waits an exponential of mean `meanMs` (a thread waiting for a core, a GC pause)',
              },
            ),
          ),
        },
        {
          additionalProperties: false,
          description:
            'Network delay from this stage to each next stage (to the client after a sink); hops do not queue',
        },
      ),
    ),
    batch: Type.Optional(
      Type.Object(
        {
          maxSize: Type.Integer({ minimum: 1, maximum: 4096 }),
          maxDelayMs: Type.Number({ minimum: 0, default: 0 }),
        },
        { additionalProperties: false },
      ),
    ),
    queue: Type.Optional(
      Type.Object(
        {
          capacity: Type.Optional(
            Type.Integer({
              minimum: 0,
              description: 'Waiting places; an arrival finding them full is dropped',
            }),
          ),
          timeoutMs: Type.Optional(
            Positive('A request that waited longer is dropped when a server looks for work'),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    cache: Type.Optional(CacheSchema),
    cutoff: Type.Optional(
      Type.Object(
        {
          queueThreshold: Type.Integer({
            minimum: 0,
            description: 'Cut features off when more than this many requests wait at dispatch',
          }),
          serviceScale: Type.Number({
            exclusiveMinimum: 0,
            maximum: 1,
            description: 'Service-time factor of a cut-off batch',
          }),
          accuracyPenalty: Type.Number({
            minimum: 0,
            maximum: 1,
            description: 'Accuracy lost per request served with cut-off',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const PipelineSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    stages: Type.Array(StageSchema, { minItems: 1, maxItems: MAX_STAGES }),
    classes: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.String({ minLength: 1, maxLength: 100 }),
            share: Type.Number({ minimum: 0, maximum: 1, description: 'Fraction of arrivals' }),
            serviceScale: Type.Optional(
              Type.Record(Type.String(), Type.Number({ exclusiveMinimum: 0 }), {
                description: 'Service-time factor of this class per stage id (default 1)',
              }),
            ),
            route: Type.Optional(
              Type.Record(Type.String(), RouteSchema, {
                description:
                  "This class's own route after a stage (stage id -> [{to, probability}] among its next stages)",
              }),
            ),
          },
          { additionalProperties: false },
        ),
        {
          minItems: 1,
          maxItems: 64,
          description: 'Request classes sharing the stages; shares sum to 1',
        },
      ),
    ),
    resourcePrices: Type.Optional(
      Type.Object(
        {
          cpuPerHour: Type.Number({ minimum: 0, default: 0 }),
          gpuPerHour: Type.Number({ minimum: 0, default: 0 }),
          memoryGibPerHour: Type.Number({ minimum: 0, default: 0 }),
        },
        {
          additionalProperties: false,
          description: 'Prices of resources: an instance without pricePerHour costs its resources',
        },
      ),
    ),
    deadline: Type.Optional(
      Type.Object(
        {
          ms: Positive('Time budget of a request from its arrival (ms)'),
          dist: StringEnum(['deterministic', 'exponential'], {
            default: 'deterministic',
            description:
              '`deterministic`: every request gets ms; `exponential`: budgets of mean ms (impatience, Erlang A)',
          }),
        },
        {
          additionalProperties: false,
          description:
            'End-to-end deadline: a request past its budget when a server would take it from a queue is shed',
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    title: 'JIZHI serving pipeline',
    description:
      'A DAG of serving stages (docs/jizhi-sim.md). Stage references (next) must name existing ' +
      'stages and form no cycle; these graph rules and stability (offered load < capacity at ' +
      'every stage without load shedding, else 422) are checked by the simulator.',
  },
);

const Rates = (description: string, positive: boolean) =>
  Type.Array(positive ? Positive() : NonNegative(), { minItems: 1, description });

export const TrafficSchema = TaggedUnion(
  'model',
  [
    Type.Object(
      { model: Type.Literal('poisson'), rateRps: Positive('Mean arrivals per second') },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        model: Type.Literal('diurnal'),
        meanRps: Positive('Mean arrivals per second'),
        amplitude: Type.Number({ minimum: 0, maximum: 1, description: 'Relative swing' }),
        periodS: Positive('Period of the cycle (s)'),
        phaseS: Type.Number({ default: 0 }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        model: Type.Literal('mmpp'),
        rates: Rates('Arrival rate in each state (req/s)', false),
        meanDwellS: Rates('Mean time in each state (s), one per rate', true),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        model: Type.Literal('replay'),
        timestampsS: Type.Optional(Rates('Arrival times (s), ascending', false)),
        csv: Type.Optional(
          Type.String({ description: 'A trace as CSV text instead of timestampsS' }),
        ),
        loop: Type.Boolean({ default: false }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'Traffic model: poisson, diurnal, mmpp (Markov-modulated) or replay of a trace' },
);
