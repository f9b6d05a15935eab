import { UnprocessableError } from '../../platform/errors/domain-error';
import { CacheModel, HitRatioCache, LruZipfCache } from './cache';
import { ServiceSpec, ServiceTimeModel, readServiceModel } from './service-time';
import { SpecReader } from './pipeline-spec-reader';

/** A stage of the pipeline JSON (see docs/jizhi-sim.md and pipeline.schema.json). */
export interface StageSpec {
  id: string;
  /** Servers working in parallel, each serving one batch at a time. */
  instances: number;
  /** Price per instance-hour, for the cost output. */
  pricePerHour?: number;
  /** Downstream stages. Several = fork; a stage with several upstream stages joins (waits for all). */
  next?: string[];
  service: ServiceSpec;
  batch?: { maxSize: number; maxDelayMs: number };
  queue?: { capacity?: number; timeoutMs?: number };
  cache?:
    | { model: 'hit-ratio'; hitRatio: number; hitLatencyMs?: number }
    | { model: 'lru'; capacity: number; keys: number; zipfS: number; hitLatencyMs?: number };
  cutoff?: { queueThreshold: number; serviceScale: number; accuracyPenalty: number };
}

export interface PipelineSpec {
  name?: string;
  stages: StageSpec[];
}

/** A validated stage with its models built; cache and traffic models are rebuilt per run. */
export interface CompiledStage {
  id: string;
  instances: number;
  pricePerHour: number;
  next: number[];
  predecessors: number;
  service: ServiceTimeModel;
  maxBatch: number;
  maxDelayS: number;
  queueCapacity: number;
  timeoutS: number;
  makeCache: (() => CacheModel) | undefined;
  hitLatencyS: number;
  cutoff: { queueThreshold: number; serviceScale: number; accuracyPenalty: number } | undefined;
}

export interface CompiledPipeline {
  name: string;
  stages: CompiledStage[];
  /** Stage indices in a topological order. */
  order: number[];
}

const MAX_STAGES = 1000;
const MAX_CACHE_KEYS = 10_000_000;

/** Validate a pipeline document; throws ValidationError with every problem and its field path. */
export function compilePipeline(raw: unknown, field = 'pipeline'): CompiledPipeline {
  const r = new SpecReader();
  const root = r.object(raw, field);
  const stagesRaw = root ? r.array(root.stages, `${field}.stages`) : undefined;
  if (stagesRaw && stagesRaw.length === 0)
    r.fail(`${field}.stages`, 'must have at least one stage');
  if (stagesRaw && stagesRaw.length > MAX_STAGES)
    r.fail(`${field}.stages`, `at most ${MAX_STAGES} stages, got ${stagesRaw.length}`);
  r.check('pipeline');
  const name = typeof root?.name === 'string' ? root.name : 'pipeline';
  const stages: CompiledStage[] = [];
  const nextIds: string[][] = [];
  const index = new Map<string, number>();
  let lruKeys = 0;
  (stagesRaw ?? []).forEach((sr, i) => {
    const f = `${field}.stages[${i}]`;
    const s = r.object(sr, f);
    if (!s) return;
    const id = r.string(s.id, `${f}.id`);
    if (id !== undefined) {
      if (index.has(id)) r.fail(`${f}.id`, `duplicate stage id ${JSON.stringify(id)}`);
      else index.set(id, i);
    }
    const instances = r.number(s.instances, `${f}.instances`, { min: 1, integer: true }) ?? 1;
    const pricePerHour = r.optionalNumber(s.pricePerHour, `${f}.pricePerHour`, 0, { min: 0 });
    let maxBatch = 1;
    let maxDelayS = 0;
    const batch = r.optionalObject(s.batch, `${f}.batch`);
    if (batch) {
      maxBatch =
        r.number(batch.maxSize, `${f}.batch.maxSize`, { min: 1, max: 4096, integer: true }) ?? 1;
      maxDelayS = r.optionalNumber(batch.maxDelayMs, `${f}.batch.maxDelayMs`, 0, { min: 0 }) / 1000;
    }
    let queueCapacity = Infinity;
    let timeoutS = Infinity;
    const queue = r.optionalObject(s.queue, `${f}.queue`);
    if (queue) {
      if (queue.capacity !== undefined)
        queueCapacity =
          r.number(queue.capacity, `${f}.queue.capacity`, { min: 0, integer: true }) ?? Infinity;
      if (queue.timeoutMs !== undefined) {
        timeoutS =
          (r.number(queue.timeoutMs, `${f}.queue.timeoutMs`, { min: 0, exclusiveMin: true }) ??
            Infinity) / 1000;
      }
    }
    let makeCache: (() => CacheModel) | undefined;
    let hitLatencyS = 0;
    const cache = r.optionalObject(s.cache, `${f}.cache`);
    if (cache) {
      const model = r.oneOf(cache.model, `${f}.cache.model`, ['hit-ratio', 'lru'] as const);
      hitLatencyS =
        r.optionalNumber(cache.hitLatencyMs, `${f}.cache.hitLatencyMs`, 0, { min: 0 }) / 1000;
      if (model === 'hit-ratio') {
        const h = r.number(cache.hitRatio, `${f}.cache.hitRatio`, { min: 0, max: 1 });
        if (h !== undefined) makeCache = () => new HitRatioCache(h);
      } else if (model === 'lru') {
        const cap = r.number(cache.capacity, `${f}.cache.capacity`, { min: 0, integer: true });
        const keys = r.number(cache.keys, `${f}.cache.keys`, {
          min: 1,
          max: MAX_CACHE_KEYS,
          integer: true,
        });
        const zs = r.number(cache.zipfS, `${f}.cache.zipfS`, { min: 0 });
        if (keys !== undefined) lruKeys += keys;
        if (cap !== undefined && keys !== undefined && zs !== undefined)
          makeCache = () => new LruZipfCache(cap, keys, zs);
      }
    }
    let cutoff: CompiledStage['cutoff'];
    const co = r.optionalObject(s.cutoff, `${f}.cutoff`);
    if (co) {
      const queueThreshold = r.number(co.queueThreshold, `${f}.cutoff.queueThreshold`, {
        min: 0,
        integer: true,
      });
      const serviceScale = r.number(co.serviceScale, `${f}.cutoff.serviceScale`, {
        min: 0,
        max: 1,
        exclusiveMin: true,
      });
      const accuracyPenalty = r.number(co.accuracyPenalty, `${f}.cutoff.accuracyPenalty`, {
        min: 0,
        max: 1,
      });
      if (
        queueThreshold !== undefined &&
        serviceScale !== undefined &&
        accuracyPenalty !== undefined
      ) {
        cutoff = { queueThreshold, serviceScale, accuracyPenalty };
      }
    }
    const service = readServiceModel(r, s.service, `${f}.service`, maxBatch);
    const next: string[] = [];
    if (s.next !== undefined) {
      const arr = r.array(s.next, `${f}.next`);
      arr?.forEach((n, k) => {
        const v = r.string(n, `${f}.next[${k}]`);
        if (v !== undefined) {
          if (next.includes(v))
            r.fail(`${f}.next[${k}]`, `duplicate reference ${JSON.stringify(v)}`);
          else next.push(v);
        }
      });
    }
    nextIds.push(next);
    stages.push({
      id: id ?? `#${i}`,
      instances,
      pricePerHour,
      next: [],
      predecessors: 0,
      service: service ?? { sample: () => 0, mean: () => 0 },
      maxBatch,
      maxDelayS,
      queueCapacity,
      timeoutS,
      makeCache,
      hitLatencyS,
      cutoff,
    });
  });
  // Each LRU keeps a slot per key and Che's approximation sums over every key: bound the whole
  // pipeline, not only each stage, so validating a request stays cheap in time and memory.
  if (lruKeys > MAX_CACHE_KEYS)
    r.fail(
      `${field}.stages`,
      `LRU caches cover ${lruKeys} keys in total; at most ${MAX_CACHE_KEYS} per pipeline`,
    );
  stages.forEach((st, i) => {
    nextIds[i].forEach((n, k) => {
      const j = index.get(n);
      if (j === undefined)
        r.fail(`${field}.stages[${i}].next[${k}]`, `unknown stage ${JSON.stringify(n)}`);
      else if (j === i)
        r.fail(
          `${field}.stages[${i}].next[${k}]`,
          `stage ${JSON.stringify(st.id)} cannot feed itself`,
        );
      else {
        st.next.push(j);
        stages[j].predecessors++;
      }
    });
  });
  r.check('pipeline');
  const order = topologicalOrder(stages);
  if (order.length < stages.length) {
    const inCycle = stages.filter((_, i) => !order.includes(i)).map((s) => s.id);
    r.fail(`${field}.stages`, `the stage graph has a cycle through ${inCycle.join(', ')}`);
    r.check('pipeline');
  }
  return { name, stages, order };
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
    for (const j of stages[i].next) if (--indeg[j] === 0) queue.push(j);
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
  /** True when the queue sheds load (finite capacity or a timeout), so overload is bounded. */
  sheds: boolean;
}

/**
 * Offered load per stage at a mean arrival rate. Every request visits every stage (fork/join is
 * AND), minus cache hits (the LRU's hit ratio by Che's approximation). Under overload a cut-off
 * stage runs at its reduced service time, so its capacity is divided by serviceScale.
 */
export function stageLoads(p: CompiledPipeline, meanRateRps: number): StageLoad[] {
  return p.stages.map((s) => {
    const hit = s.makeCache ? s.makeCache().expectedHitRatio() : 0;
    const arrivalRps = meanRateRps * (1 - hit);
    const scale = s.cutoff ? s.cutoff.serviceScale : 1;
    const capacityRps = (s.instances * s.maxBatch) / s.service.mean(s.maxBatch);
    return {
      stage: s.id,
      arrivalRps,
      capacityRps,
      utilisation: arrivalRps / capacityRps,
      overloadUtilisation: (arrivalRps / capacityRps) * scale,
      sheds: Number.isFinite(s.queueCapacity) || Number.isFinite(s.timeoutS),
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
