import { UnprocessableError } from '../../platform/errors/domain-error';
import { specSchema } from '../../platform/validation/spec-schema';
import { CacheModel, HitRatioCache, LruZipfCache } from './cache';
import { AutoscalePolicy, AutoscaleSpec, TargetUtilisationPolicy } from './autoscaler';
import { ResourcePrices, instancePricePerHour, stageCostPerHour } from './cost';
import { DispatchPolicy, InstanceTypeSpec, ResourceVector, instanceSpeeds } from './instance-types';
import { DeadlineModel, DeadlineSpec, deadlineModel } from './deadline';
import { NetworkDelay, NetworkSpec, networkDelay } from './network-delay';
import { MAX_CACHE_KEYS, PipelineSchema } from './pipeline-schema';
import { Problems } from './problems';
import { CompiledClasses, RequestClassSpec, compileClasses } from './request-classes';
import { StageRoute, checkJoinsReachable, compileRoute, successors, visitRates } from './routing';
import { ServiceSpec, ServiceTimeModel, serviceModel } from './service-time';

/**
 * A stage of the pipeline JSON (docs/jizhi-sim.md; its schema, with the defaults the stored spec
 * carries, is pipeline-schema.ts). `compilePipeline` checks a hand-built spec against that schema
 * and fills the same defaults, so library callers may leave optional numbers out.
 */
export interface StageSpec {
  id: string;
  /** Servers working in parallel, each serving one batch at a time. */
  instances: number;
  /** Price per instance-hour, for the cost output (else its resources at resourcePrices). */
  pricePerHour?: number;
  resources?: ResourceVector;
  /** Heterogeneous instances (counts adding up to instances) and how a free one is chosen. */
  instanceTypes?: InstanceTypeSpec[];
  dispatch?: DispatchPolicy;
  /** Scale instances during the run (autoscaler.ts); `instances` is the start. */
  autoscale?: AutoscaleSpec;
  /** Downstream stages. Several = fork; a stage with several upstream stages joins (waits for all). */
  next?: string[];
  /** Instead of next: ONE downstream stage per request, drawn with these probabilities (routing.ts). */
  route?: { to: string; probability: number }[];
  service: ServiceSpec;
  /** Delay of the hop after the stage (network-delay.ts). */
  network?: NetworkSpec;
  batch?: { maxSize: number; maxDelayMs?: number };
  queue?: { capacity?: number; timeoutMs?: number };
  cache?:
    | { model: 'hit-ratio'; hitRatio: number; hitLatencyMs?: number; onHit?: CacheOnHit }
    | {
        model: 'lru';
        capacity: number;
        keys: number;
        zipfS: number;
        hitLatencyMs?: number;
        onHit?: CacheOnHit;
        entryBytes?: number;
        memoryPricePerGibHour?: number;
      };
  cutoff?: { queueThreshold: number; serviceScale: number; accuracyPenalty: number };
}

/** A cache hit skips only its stage, or answers the request (skipping everything downstream). */
export type CacheOnHit = 'skip-stage' | 'exit';

export interface PipelineSpec {
  name?: string;
  stages: StageSpec[];
  /** End-to-end deadline with shedding of late requests (deadline.ts). */
  deadline?: DeadlineSpec;
  /** Prices of the resources instances hold (cost.ts). */
  resourcePrices?: ResourcePrices;
  /** Request classes sharing the stages (request-classes.ts). */
  classes?: RequestClassSpec[];
}

/** A validated stage with its models built; cache and traffic models are rebuilt per run. */
export interface CompiledStage {
  id: string;
  instances: number;
  pricePerHour: number;
  /** What the stage costs per hour: its instances and its cache's memory (cost.ts). */
  costPerHour: number;
  /** AND successors; empty when the stage routes (XOR) or is a sink. */
  next: number[];
  /** XOR successors with their probabilities, or undefined. */
  route: StageRoute | undefined;
  predecessors: number;
  service: ServiceTimeModel;
  maxBatch: number;
  maxDelayS: number;
  queueCapacity: number;
  timeoutS: number;
  makeCache: (() => CacheModel) | undefined;
  hitLatencyS: number;
  /** A cache hit ends the request's branch here (`onHit: exit`). */
  exitOnHit: boolean;
  /** Per-instance speed factors of a heterogeneous stage, or undefined (all 1). */
  speeds: Float64Array | undefined;
  dispatch: DispatchPolicy;
  /** Sum of the instances' speeds: the stage's capacity in instance units (at most instances). */
  capacityUnits: number;
  autoscale: AutoscalePolicy | undefined;
  /** Instances the runtime provides for: max of an autoscaled stage, else instances. */
  maxInstances: number;
  /** Price of one instance per hour (cost.ts), to cost an autoscaled stage by its mean count. */
  pricePerInstance: number;
  /** Delay of the hop after the stage, or undefined for none. */
  hop: NetworkDelay | undefined;
  cutoff: { queueThreshold: number; serviceScale: number; accuracyPenalty: number } | undefined;
}

export interface CompiledPipeline {
  name: string;
  stages: CompiledStage[];
  deadline: DeadlineModel | undefined;
  classes: CompiledClasses | undefined;
  /** Stage indices in a topological order. */
  order: number[];
}

export { MAX_CACHE_KEYS, MAX_STAGES } from './pipeline-schema';

const pipelineSchema = specSchema(PipelineSchema);

/**
 * The library's reader of a pipeline document: checks it against the one pipeline schema
 * (pipeline-schema.ts: shapes, ranges, no unknown key anywhere, with a "did you mean" for a
 * typo) and fills its defaults, as REST does, so `bacth` fails here as it fails at POST. Typed
 * as PipelineSpec for callers that build one by hand, but anything JSON may come in.
 */
export function readPipeline(spec: PipelineSpec, field = 'pipeline'): PipelineSpec {
  return pipelineSchema.parse(spec, field) as PipelineSpec;
}

/**
 * Builds the runnable pipeline from a spec, read by `readPipeline` first; then checks what a
 * schema cannot: unique ids, references to existing stages, no cycle, the LRU key total, each
 * service model's own rules. Throws one ValidationError with every problem and its field path.
 */
export function compilePipeline(raw: PipelineSpec, field = 'pipeline'): CompiledPipeline {
  const spec = readPipeline(raw, field);
  const r = new Problems();
  const stages: CompiledStage[] = [];
  const index = new Map<string, number>();
  let lruKeys = 0;
  spec.stages.forEach((s, i) => {
    const f = `${field}.stages[${i}]`;
    if (index.has(s.id)) r.fail(`${f}.id`, `duplicate stage id ${JSON.stringify(s.id)}`);
    else index.set(s.id, i);
    const maxBatch = s.batch?.maxSize ?? 1;
    const cache = s.cache;
    if (cache?.model === 'lru') lruKeys += cache.keys;
    stages.push({
      id: s.id,
      instances: s.instances,
      pricePerHour: s.pricePerHour ?? 0,
      costPerHour: stageCostPerHour(s, spec.resourcePrices),
      next: [],
      route: undefined,
      predecessors: 0,
      service: serviceModel(r, s.service, `${f}.service`, maxBatch),
      maxBatch,
      maxDelayS: (s.batch?.maxDelayMs ?? 0) / 1000,
      queueCapacity: s.queue?.capacity ?? Infinity,
      timeoutS: (s.queue?.timeoutMs ?? Infinity) / 1000,
      makeCache: cache && cacheFactory(cache),
      hitLatencyS: (cache?.hitLatencyMs ?? 0) / 1000,
      exitOnHit: cache?.onHit === 'exit',
      ...heterogeneity(r, s, f),
      ...autoscaling(r, s, f),
      pricePerInstance: instancePricePerHour(s, spec.resourcePrices),
      hop: s.network && networkDelay(s.network),
      cutoff: s.cutoff && { ...s.cutoff },
    });
  });
  // Each LRU keeps a slot per key and Che's approximation sums over every key: bound the whole
  // pipeline, not only each stage, so validating a request stays cheap in time and memory.
  if (lruKeys > MAX_CACHE_KEYS)
    r.fail(
      `${field}.stages`,
      `LRU caches cover ${lruKeys} keys in total; at most ${MAX_CACHE_KEYS} per pipeline`,
    );
  spec.stages.forEach((s, i) => {
    const st = stages[i];
    (s.next ?? []).forEach((n, k) => {
      const j = index.get(n);
      if (j === undefined)
        r.fail(`${field}.stages[${i}].next[${k}]`, `unknown stage ${JSON.stringify(n)}`);
      else if (j === i)
        r.fail(
          `${field}.stages[${i}].next[${k}]`,
          `stage ${JSON.stringify(st.id)} cannot feed itself`,
        );
      else if (st.next.includes(j))
        r.fail(`${field}.stages[${i}].next[${k}]`, `duplicate reference ${JSON.stringify(n)}`);
      else {
        st.next.push(j);
        stages[j].predecessors++;
      }
    });
    if (s.route !== undefined) {
      if (s.next !== undefined && s.next.length > 0)
        r.fail(`${field}.stages[${i}].route`, 'give next (every stage) or route (one), not both');
      st.route = compileRoute(r, s.route, index, i, `${field}.stages[${i}].route`);
      for (const j of st.route.to) stages[j].predecessors++;
    }
  });
  r.check('pipeline');
  const order = topologicalOrder(stages);
  if (order.length < stages.length) {
    const inCycle = stages.filter((_, i) => !order.includes(i)).map((s) => s.id);
    r.fail(`${field}.stages`, `the stage graph has a cycle through ${inCycle.join(', ')}`);
    r.check('pipeline');
  }
  const classes =
    spec.classes &&
    compileClasses(
      r,
      spec.classes,
      stages.map((s) => s.id),
      (i) => successors(stages[i]),
      `${field}.classes`,
    );
  checkJoinsReachable(r, stages, `${field}.stages`, classes?.routedStages);
  r.check('pipeline');
  const deadline = spec.deadline && deadlineModel(spec.deadline);
  return { name: spec.name ?? 'pipeline', stages, order, deadline, classes };
}

function heterogeneity(
  r: Problems,
  s: StageSpec,
  f: string,
): { speeds: Float64Array | undefined; dispatch: DispatchPolicy; capacityUnits: number } {
  const dispatch = s.dispatch ?? 'fastest-free';
  if (!s.instanceTypes) return { speeds: undefined, dispatch, capacityUnits: s.instances };
  const speeds = instanceSpeeds(r, s.instanceTypes, s.instances, f);
  return { speeds, dispatch, capacityUnits: speeds.reduce((a, x) => a + x, 0) };
}

function autoscaling(
  r: Problems,
  s: StageSpec,
  f: string,
): { autoscale: AutoscalePolicy | undefined; maxInstances: number } {
  const a = s.autoscale;
  if (!a) return { autoscale: undefined, maxInstances: s.instances };
  if (a.max < a.min) r.fail(`${f}.autoscale.max`, `must be >= min (${a.min}), got ${a.max}`);
  if (s.instances < a.min || s.instances > a.max)
    r.fail(
      `${f}.instances`,
      `must be within autoscale min..max (${a.min}..${a.max}), got ${s.instances}`,
    );
  if (s.instanceTypes) r.fail(`${f}.autoscale`, 'cannot scale a stage of several instance types');
  return { autoscale: new TargetUtilisationPolicy(a), maxInstances: Math.max(a.max, s.instances) };
}

function cacheFactory(cache: NonNullable<StageSpec['cache']>): () => CacheModel {
  if (cache.model === 'hit-ratio') return () => new HitRatioCache(cache.hitRatio);
  return () => new LruZipfCache(cache.capacity, cache.keys, cache.zipfS);
}

/** Kahn's algorithm; a result shorter than the stage list means a cycle. */
function topologicalOrder(stages: CompiledStage[]): number[] {
  const indeg = stages.map((s) => s.predecessors);
  const queue: number[] = [];
  indeg.forEach((d, i) => {
    if (d === 0) queue.push(i);
  });
  const order: number[] = [];
  while (queue.length > 0) {
    const i = queue.shift() as number;
    order.push(i);
    for (const j of successors(stages[i])) if (--indeg[j] === 0) queue.push(j);
  }
  return order;
}

export interface StageLoad {
  stage: string;
  /** Requests per second reaching the stage's queue (after the cache). */
  arrivalRps: number;
  /** Maximum throughput with full batches: instances * maxBatch / meanService(maxBatch). */
  capacityRps: number;
  /** arrivalRps / capacityRps at the normal service time (at full batches). */
  utilisation: number;
  /** The same under permanent cut-off (service time x serviceScale): what decides stability. */
  overloadUtilisation: number;
  /** True when the queue sheds load (finite capacity, a timeout or a deadline): overload is bounded. */
  sheds: boolean;
}

/**
 * Offered load per stage at a mean arrival rate: the rate of visits (every stage on AND edges,
 * a share on XOR routes, less what exiting caches answered upstream; routing.ts) minus the
 * stage's own cache hits (the LRU's hit ratio by Che's approximation). Under overload a cut-off
 * stage runs at its reduced service time, so its capacity is divided by serviceScale.
 */
export function stageLoads(p: CompiledPipeline, meanRateRps: number): StageLoad[] {
  const hits = p.stages.map((s) => (s.makeCache ? s.makeCache().expectedHitRatio() : 0));
  const classes = p.classes;
  // With classes, each class's share of the traffic follows its own routes.
  const visits = classes
    ? classes.ids
        .map((_, k) =>
          visitRates(
            p.stages,
            p.order,
            meanRateRps * classes.shares[k],
            (i) => hits[i],
            (i) => classes.routes[k][i],
          ),
        )
        .reduce((a, v) => a.map((x, i) => x + v[i]))
    : visitRates(p.stages, p.order, meanRateRps, (i) => hits[i]);
  return p.stages.map((s, i) => {
    const arrivalRps = visits[i] * (1 - hits[i]);
    const scale = s.cutoff ? s.cutoff.serviceScale : 1;
    const classScale = p.classes ? p.classes.meanScale[i] : 1;
    // An autoscaled stage is stable if its largest size is.
    const units = s.autoscale ? s.autoscale.max : s.capacityUnits;
    const capacityRps = (units * s.maxBatch) / (s.service.mean(s.maxBatch) * classScale);
    return {
      stage: s.id,
      arrivalRps,
      capacityRps,
      utilisation: arrivalRps / capacityRps,
      overloadUtilisation: (arrivalRps / capacityRps) * scale,
      sheds: Number.isFinite(s.queueCapacity) || Number.isFinite(s.timeoutS) || !!p.deadline,
    };
  });
}

/**
 * Refuse a system whose queues would grow without bound: some stage without load shedding has
 * offered load >= capacity. Throws UnprocessableError naming the stage and its utilisation.
 */
export function assertStable(
  p: CompiledPipeline,
  meanRateRps: number,
  field = 'pipeline',
): StageLoad[] {
  const loads = stageLoads(p, meanRateRps);
  const bad = loads
    .map((l, i) => ({ l, i }))
    .filter(({ l }) => !l.sheds && l.overloadUtilisation >= 1);
  if (bad.length > 0) {
    const problems = bad.map(({ l, i }) => ({
      field: `${field}.stages[${i}]`,
      message: `stage ${JSON.stringify(l.stage)} is unstable: utilisation ${l.overloadUtilisation.toFixed(3)} >= 1 (offered ${l.arrivalRps.toFixed(1)} req/s, capacity ${((l.capacityRps * l.utilisation) / l.overloadUtilisation).toFixed(1)} req/s); add instances, batch more, or set queue.capacity / queue.timeoutMs to shed load`,
    }));
    throw new UnprocessableError(
      `unstable system: ${problems.map((x) => x.message).join('; ')}`,
      problems,
    );
  }
  return loads;
}
