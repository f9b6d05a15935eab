import { PipelineSpec, StageSpec } from '../../jizhi-sim/core/pipeline';
import type { SimulationResult } from '../../jizhi-sim/core/simulation-result';
import { Rng } from '../../platform/core/rng';
import { ContentionProfile, expectedSlowdown, poissonBinomial } from './cpu-contention';
import { ServiceProfile } from './service-profile';
import { LoopPauses, PAUSE_TURN_SIZES, pauseMsPerRequest, pauseSamples } from './gc-pauses';
import { interpolateClamped, Stall, StallPoint, stallAt } from './stall-tail';
import { CoreStallPoint, coreStallAt, stallProbabilityPerTurn } from './core-stalls';

/** The knobs of a deployment the simulator models and the tuner turns. */
export interface DeploymentConfig {
  instances: number;
  batch: { maxSize: number; maxDelayMs: number };
  /** `capacity` waiting places (0 = unbounded) and a queue timeout in ms (0 = none). */
  queue: { capacity: number; timeoutMs: number };
}

/**
 * Costs of the real runtime that are not the model's compute, measured on the host (see
 * docs/serving.md, "Profile, simulate, tune, apply"), and how the stage models them:
 * - `timerLateMs`: a batcher's maxDelayMs timer (setTimeout) fires this much late on average, so
 *   the simulated batch window is maxDelayMs + timerLateMs when maxDelayMs > 0;
 * - `replyMs`: from the end of a batch's service (as the profile measures it) to the caller's
 *   promise resolving: a hop after the stage, which delays the request but not the instance.
 */
export interface ServingOverheads {
  timerLateMs: number;
  replyMs: number;
  /**
   * The hop's floor, when its spread is measured (request-path-calibration.ts): the hop is then
   * the shifted exponential replyMinMs + Exp(replyMs - replyMinMs) (same mean, a right tail);
   * absent or >= replyMs: the constant replyMs.
   */
  replyMinMs?: number;
  /**
   * The API's request path (HTTP parsing, auth, validation, the hop to the batcher and the
   * answer): the event loop's busy time per predict request, measured by the API on served
   * requests (request-path-meter.ts). The event loop is ONE server, so the stage models it as a
   * single-server stage (`http`) in front of the batcher that serves a TURN at a time: all the
   * requests waiting when the loop comes round are handled in one turn and reach the batcher
   * together at its end (requestPathStage).
   * `perBatchMs` (optional): the part of the loop's time spent per model batch (dispatch to the
   * instance thread, the reply message), measured beside it at a mean of `batchSize` requests
   * per batch; `eventLoopMs` includes it. The simulated cost per request is then
   * eventLoopMs - perBatchMs / batchSize + perBatchMs / (simulated mean batch).
   */
  requestPath?: {
    eventLoopMs: number;
    perBatchMs?: number;
    batchSize?: number;
    /**
     * The loop's mean wait for a core when woken (run-queue delay): the requests arriving in
     * it are handled in the same turn. Modelled as the http stage's batch window.
     */
    wakeDelayMs?: number;
    /**
     * The thread hand-off per batch (dispatch to result minus the instance's compute) under
     * the served traffic: postMessage, the instance thread's wait for a core, the reply's wait
     * for the busy event loop. What it exceeds the profile's `handoffMs` by is added to every
     * batch's service time (the instance is not free until the loop has read its reply).
     */
    handoffMs?: number;
  };
  /**
   * The profile's own thread hand-off per batch (measured with an idle event loop, as the
   * profile's service times were), the baseline for requestPath.handoffMs.
   */
  handoffMs?: number;
  /** How a batch slows down when other threads hold the host's cores (cpu-contention.ts). */
  contention?: ContentionProfile;
  /**
   * The hop's stalls (stall-tail.ts), fitted on traced runs at two or more utilisations of the
   * host and indexed by coresFullAt(): with them, replyMs / replyMinMs are the base hop without
   * its stalls, and each rate's hop waits, with the interpolated probability, an exponential
   * stall. Without a load (the first pass) the first point's stalls.
   */
  hopStalls?: StallPoint[];
  /**
   * The event loop's stalls, fitted on the thread hand-off's tail (dispatch to result minus
   * compute: the reply waits for the loop) likewise: each turn of the `http` stage gets a stall
   * drawn from them, so the requests of the turn wait and the arrivals during it are handed to
   * the batcher together (bigger batches, no longer batcher wait: what the traces show). Not on
   * the batch's service: a stalled loop holds the arrivals in the socket, not in the batcher's
   * queue. requestPath.handoffMs is then the mean hand-off at the FIRST point's load, its
   * stalls included; the constant excess the model adds to every batch is net of them.
   */
  loopStalls?: StallPoint[];
  /**
   * The core stalls (core-stalls.ts): the rare 12-26 ms stretches in which the event loop waited
   * for a core, fitted as events per second on the calibration runs and indexed by coresFull.
   * Drawn on the `http` stage's turns at the fitted rate in time (needs the load's
   * turnsPerSecond; without a load, none), so the requests arriving during one wait for it and
   * leave together after it.
   */
  coreStalls?: CoreStallPoint[];
  /**
   * The API's GC pauses (gc-pauses.ts): pauses per request and their measured durations. Each
   * turn of the `http` stage of b requests then includes Poisson(b x perRequest) of them, and
   * the loop's time per request is taken net of their mean (the traced loop time holds them).
   */
  loopPauses?: LoopPauses;
  /**
   * The request path's base figures measured at two or more host loads (the bench's
   * calibration runs), by coresFull: the loop's time per request (and per batch) and the hop's
   * base mean and floor. Each rate takes them interpolated at its coresFull, clamped to the
   * measured ends (overheadsAtLoad); requestPath and replyMs are the first point's.
   */
  requestPathPoints?: RequestPathPoint[];
}

/** The request path's base figures at one host load (see ServingOverheads.requestPathPoints). */
export interface RequestPathPoint {
  coresFull: number;
  eventLoopMs: number;
  perBatchMs?: number;
  replyMs: number;
  replyMinMs?: number;
}

/**
 * The overheads at a host load: the request path's base figures interpolated at coresFull
 * between the measured points, clamped to their ends; unchanged without a load or with fewer
 * than two points.
 */
export function overheadsAtLoad(
  overheads: ServingOverheads,
  coresFull: number | undefined,
): ServingOverheads {
  const pts = overheads.requestPathPoints;
  const rp = overheads.requestPath;
  if (!pts || pts.length < 2 || coresFull === undefined || !rp) return overheads;
  const [eventLoopMs, perBatchMs, replyMs, replyMinMs] = interpolateClamped(
    pts.map((p) => ({
      coresFull: p.coresFull,
      values: [p.eventLoopMs, p.perBatchMs ?? 0, p.replyMs, p.replyMinMs ?? 0],
    })),
    coresFull,
  );
  return {
    ...overheads,
    replyMs,
    ...(overheads.replyMinMs !== undefined ? { replyMinMs } : {}),
    requestPath: {
      ...rp,
      eventLoopMs,
      ...(rp.perBatchMs !== undefined ? { perBatchMs } : {}),
    },
  };
}

/** Threads competing with an instance for the host's cores, as utilisations (busy fractions). */
export interface ContentionLoad {
  /** Utilisation of each instance thread. */
  instanceUtilisation: number;
  /** The API event loop's utilisation (the `http` stage's). */
  eventLoopUtilisation: number;
  /** Other busy threads on the host, e.g. a load generator on the same machine. */
  others?: number[];
  /** The model stage's simulated mean batch size (amortises the event loop's per-batch cost). */
  meanBatchSize?: number;
  /** The `http` stage's simulated turns per second (the rate core stalls are drawn per turn at). */
  turnsPerSecond?: number;
}

export const NO_OVERHEADS: ServingOverheads = { timerLateMs: 0, replyMs: 0 };

export const SERVING_STAGE_ID = 'model';
export const REQUEST_PATH_STAGE_ID = 'http';
/**
 * The most requests one event-loop turn hands over in the model. Node reads every readable
 * socket in one poll phase, so a turn is bounded by the open connections, not by a constant;
 * 256 is above any batch the deployments allow, so it never binds in practice.
 */
export const MAX_REQUESTS_PER_TURN = 256;

/**
 * The simulator's one-stage pipeline of a deployment: `instances` servers behind one FIFO queue
 * with the dynamic batcher, the profiled service-time distribution per batch size (`empirical`)
 * and the deployment's queue limits.
 */
export function servingPipeline(
  profile: ServiceProfile,
  config: DeploymentConfig,
  measured: ServingOverheads = NO_OVERHEADS,
  load?: ContentionLoad,
): PipelineSpec {
  const cf = coresFullAt(measured, config.instances, load);
  const overheads = overheadsAtLoad(measured, cf);
  const factor = load ? contentionFactor(overheads, config.instances, load) : 1;
  const extra = extraHandoffMs(overheads);
  const stage: StageSpec = {
    id: SERVING_STAGE_ID,
    instances: config.instances,
    service: {
      dist: 'empirical',
      profile: profile.rows.map((r) => ({
        batchSize: r.batchSize,
        latenciesMs:
          factor === 1 && extra === 0
            ? r.latenciesMs
            : r.latenciesMs.map((x) => x * factor + extra),
      })),
    },
    batch: {
      maxSize: config.batch.maxSize,
      maxDelayMs: config.batch.maxDelayMs > 0 ? config.batch.maxDelayMs + overheads.timerLateMs : 0,
    },
  };
  const queue: NonNullable<StageSpec['queue']> = {};
  if (config.queue.capacity > 0) queue.capacity = config.queue.capacity;
  if (config.queue.timeoutMs > 0) queue.timeoutMs = config.queue.timeoutMs;
  if (Object.keys(queue).length > 0) stage.queue = queue;
  if (overheads.replyMs > 0) {
    const min = overheads.replyMinMs;
    stage.network =
      min !== undefined && min >= 0 && min < overheads.replyMs
        ? { delayMs: overheads.replyMs, dist: 'exponential', minMs: min }
        : { delayMs: overheads.replyMs, dist: 'deterministic' };
    if (overheads.hopStalls?.length) {
      const st = stallAt(overheads.hopStalls, cf ?? overheads.hopStalls[0].coresFull);
      if (st.probability > 0 && st.meanMs > 0) stage.network.stall = st;
    }
  }
  const perRequestMs = requestPathMsPerRequest(
    overheads,
    load?.meanBatchSize ?? config.batch.maxSize,
  );
  if (perRequestMs <= 0) return { name: 'deployment', stages: [stage] };
  // The event loop is a thread too: the instances and `others` slow it as they slow a batch.
  const loopFactor = load ? eventLoopContentionFactor(overheads, config.instances, load) : 1;
  const wakeMs = overheads.requestPath?.wakeDelayMs ?? 0;
  const loopStall = overheads.loopStalls?.length
    ? stallAt(overheads.loopStalls, cf ?? overheads.loopStalls[0].coresFull)
    : undefined;
  const core = coreStallOn(overheads, cf, load);
  const pauses = overheads.loopPauses;
  // The traced loop time per request holds the pauses' mean; drawn separately (at least half
  // of the measured time is kept as the loop's own work).
  const netMs = pauses
    ? Math.max(perRequestMs / 2, perRequestMs - pauseMsPerRequest(pauses))
    : perRequestMs;
  return {
    name: 'deployment',
    stages: [requestPathStage(netMs * loopFactor, wakeMs, loopStall, pauses, core), stage],
  };
}

/**
 * How much longer a batch's thread hand-off is under the served traffic than in the profile
 * (ms, >= 0); 0 unless both were measured. Under HTTP load the instance's reply waits for the
 * event loop's turn and the instance thread for a core, so the instance stays busy longer than
 * the profile (taken with an idle loop) says, and batches grow.
 */
export function extraHandoffMs(overheads: ServingOverheads): number {
  const served = overheads.requestPath?.handoffMs;
  const profiled = overheads.handoffMs;
  if (served === undefined || profiled === undefined) return 0;
  // With modelled stalls the measured mean holds the first point's mean stall: drawn separately.
  const first = overheads.loopStalls?.[0]?.stall;
  const stalls = first ? first.probability * first.meanMs : 0;
  return Math.max(0, served - profiled - stalls);
}

/**
 * Service-time samples with stalls: each of max(n, 2000) samples is a given one (in turn) plus,
 * with the stall's probability, an exponential of its mean, drawn from a generator seeded by
 * `label` (the same pipeline on every call). The empirical distribution resamples them, so a
 * simulated service time is the given one convolved with the stall mixture.
 */
export function withStalls(latenciesMs: readonly number[], stall: Stall, label: string): number[] {
  if (!(stall.probability > 0 && stall.meanMs > 0) || latenciesMs.length === 0)
    return latenciesMs.slice();
  const rng = new Rng(`stalls-${label}`);
  // Enough samples for ~50 stalls among them: a rare stall (a core stall's 0.1% of the turns)
  // must not rest on the two or three draws 2,000 samples would hold.
  const n = Math.max(
    latenciesMs.length,
    2000,
    Math.min(200_000, Math.ceil(50 / stall.probability)),
  );
  const floor = Math.min(stall.minMs ?? 0, stall.meanMs);
  const rate = stall.meanMs > floor ? 1 / (stall.meanMs - floor) : Infinity;
  return Array.from({ length: n }, (_, i) => {
    const x = latenciesMs[i % latenciesMs.length];
    if (!(rng.float() < stall.probability)) return x;
    return x + floor + (rate === Infinity ? 0 : rng.exponential(rate));
  });
}

/**
 * The probability that `cores` or more of the host's threads are busy at once (a wake-up then
 * finds no free core), under `load`: the event loop, the instances, `others` and the other
 * processes' share of the cores during the profile (cores - freeCores, as whole busy threads
 * plus a fractional one), independent Bernoulli (Poisson-binomial). Undefined without a load or
 * a contention profile (no host to count).
 */
export function coresFullAt(
  overheads: ServingOverheads,
  instances: number,
  load: ContentionLoad | undefined,
): number | undefined {
  const c = overheads.contention;
  if (!c || !load) return undefined;
  const background = c.freeCores !== undefined ? Math.max(0, c.cores - c.freeCores) : 0;
  const busy = [
    load.eventLoopUtilisation,
    ...Array.from({ length: instances }, () => load.instanceUtilisation),
    ...(load.others ?? []),
    ...Array.from({ length: Math.floor(background) }, () => 1),
    background - Math.floor(background),
  ];
  return poissonBinomial(busy)
    .slice(c.cores)
    .reduce((a, q) => a + q, 0);
}

/** The core stalls at this load as a per-turn stall of the `http` stage (core-stalls.ts). */
function coreStallOn(
  overheads: ServingOverheads,
  coresFull: number | undefined,
  load: ContentionLoad | undefined,
): Stall | undefined {
  const points = overheads.coreStalls;
  if (!points?.length || !load?.turnsPerSecond) return undefined;
  const at = coreStallAt(points, coresFull ?? points[0].coresFull);
  if (!at) return undefined;
  const probability = stallProbabilityPerTurn(at.perSecond, load.turnsPerSecond);
  return probability > 0 ? { probability, meanMs: at.meanMs, minMs: at.minMs } : undefined;
}

/**
 * The `http` stage: the API's event loop as one server that, when it comes round, takes every
 * request waiting (up to MAX_REQUESTS_PER_TURN) and handles them in one turn, deterministic
 * `perRequestMs` each (the same code on the same body size), and releases them to the batcher
 * TOGETHER at the turn's end: a bulk-service, bulk-departure queue. Node does this: the poll
 * phase reads all readable sockets and runs their handlers before the batcher's timer or the
 * instance's reply is looked at, so the batcher sees a turn's requests at once (clumped
 * arrivals, larger batches than a FIFO server spacing them perRequestMs apart would give). The
 * server is busy exactly when there is work, so its utilisation is still rate x perRequestMs
 * and its capacity 1 / perRequestMs.
 */
export function requestPathStage(
  perRequestMs: number,
  wakeDelayMs = 0,
  stall?: Stall,
  pauses?: LoopPauses,
  coreStall?: Stall,
): StageSpec {
  // With stalls a turn of b requests takes b x perRequestMs + a stall draw: two empirical rows
  // (1 and MAX_REQUESTS_PER_TURN) with the same stall samples, which the simulator's
  // interpolation in b (one quantile u for both rows) keeps exact for every b in between.
  // With GC pauses the pause time depends on b (Poisson(b x perRequest) pauses): a row per turn
  // size (PAUSE_TURN_SIZES), each b x perRequestMs + its stall draw + its pause draws.
  // The body's stalls, then the core's: independent draws, each under a label of its own.
  const usable = (x?: Stall): x is Stall => x !== undefined && x.probability > 0 && x.meanMs > 0;
  const stalls: [Stall, string][] = [];
  if (usable(stall)) stalls.push([stall, 'loop']);
  if (usable(coreStall)) stalls.push([coreStall, 'core']);
  const stalled = stalls.length > 0;
  const paused = pauses !== undefined && pauses.perRequest > 0 && pauses.pausesMs.length > 0;
  const rows = (sizes: readonly number[]) =>
    sizes.map((b) => {
      const base = stalls.reduce<number[]>(
        (xs, [st, label]) => withStalls(xs, st, label),
        [perRequestMs * b],
      );
      if (!paused) return { batchSize: b, latenciesMs: base };
      const n = Math.max(base.length, 2000);
      const extra = pauseSamples(pauses, b, n, 'loop');
      return { batchSize: b, latenciesMs: extra.map((x, i) => base[i % base.length] + x) };
    });
  return {
    id: REQUEST_PATH_STAGE_ID,
    instances: 1,
    service: paused
      ? { dist: 'empirical', profile: rows(PAUSE_TURN_SIZES) }
      : stalled
        ? { dist: 'empirical', profile: rows([1, MAX_REQUESTS_PER_TURN]) }
        : { dist: 'deterministic', fixedMs: 0, perItemMs: perRequestMs },
    // A request that finds the loop idle wakes it, and the loop runs wakeDelayMs later (it waits
    // for a core): the batch window, which starts with the first request of an idle period and
    // is long past for requests queued behind a busy turn, is that wait (a set-up time).
    batch: { maxSize: MAX_REQUESTS_PER_TURN, maxDelayMs: Math.max(0, wakeDelayMs) },
    next: [SERVING_STAGE_ID],
  };
}

/**
 * The event loop's time per request at model batches of `meanBatch` (before contention): the
 * measured total, with its per-batch part re-amortised from the measured batch size to this one.
 */
export function requestPathMsPerRequest(overheads: ServingOverheads, meanBatch: number): number {
  const rp = overheads.requestPath;
  if (!rp || rp.eventLoopMs <= 0) return 0;
  const perBatch = rp.perBatchMs ?? 0;
  if (perBatch <= 0 || !rp.batchSize || rp.batchSize <= 0) return rp.eventLoopMs;
  const perRequest = Math.max(0, rp.eventLoopMs - perBatch / rp.batchSize);
  return perRequest + perBatch / Math.max(1, meanBatch);
}

/**
 * The factor on an instance's service time under `load`: its competitors are the event loop,
 * the other instances and `others`; 1 without a measured contention profile.
 */
export function contentionFactor(
  overheads: ServingOverheads,
  instances: number,
  load: ContentionLoad,
): number {
  if (!overheads.contention) return 1;
  const busy = [
    load.eventLoopUtilisation,
    ...Array.from({ length: instances - 1 }, () => load.instanceUtilisation),
    ...(load.others ?? []),
  ];
  return expectedSlowdown(overheads.contention, busy);
}

/** Mean service time of a batch of b from the profile (linear between profiled sizes), in ms. */
export function profileMeanMs(profile: ServiceProfile, b: number): number {
  const rows = profile.rows.slice().sort((x, y) => x.batchSize - y.batchSize);
  if (b <= rows[0].batchSize) return rows[0].meanMs;
  for (let j = 1; j < rows.length; j++) {
    if (b <= rows[j].batchSize) {
      const w = (b - rows[j - 1].batchSize) / (rows[j].batchSize - rows[j - 1].batchSize);
      return rows[j - 1].meanMs + w * (rows[j].meanMs - rows[j - 1].meanMs);
    }
  }
  return rows[rows.length - 1].meanMs;
}

/** Requests per second a config sustains at full batches: instances x maxSize / mean(maxSize). */
export function configCapacityRps(profile: ServiceProfile, config: DeploymentConfig): number {
  const b = config.batch.maxSize;
  return (config.instances * b * 1000) / profileMeanMs(profile, b);
}

/**
 * Requests per second the API's event loop can take in at batches of `b`: it is ONE server
 * spending requestPathMsPerRequest per request (its per-batch part spread over b requests).
 * Infinity without a measured request path.
 */
export function eventLoopCapacityRps(overheads: ServingOverheads | undefined, b: number): number {
  const msPerRequest = overheads ? requestPathMsPerRequest(overheads, b) : 0;
  return msPerRequest > 0 ? 1000 / msPerRequest : Infinity;
}

/**
 * What a deployment serves through the API at most: the smaller of its instances' capacity at
 * full batches (configCapacityRps) and its event loop's (eventLoopCapacityRps). The instances'
 * alone overstated a small model's capacity by 10x on this host (an instance batch of 8 in
 * 0.7 ms, the loop's 0.9 ms per request), and the console suggested tuning for half of it.
 */
export function servedCapacityRps(
  profile: ServiceProfile,
  config: DeploymentConfig,
  overheads: ServingOverheads | undefined,
): number {
  return Math.min(
    configCapacityRps(profile, config),
    eventLoopCapacityRps(overheads, config.batch.maxSize),
  );
}

/** The factor on the event loop's time per request: its competitors are the instances and `others`. */
export function eventLoopContentionFactor(
  overheads: ServingOverheads,
  instances: number,
  load: ContentionLoad,
): number {
  if (!overheads.contention) return 1;
  const busy = [
    ...Array.from({ length: instances }, () => load.instanceUtilisation),
    ...(load.others ?? []),
  ];
  return expectedSlowdown(overheads.contention, busy);
}

/** Turns of the `http` stage per second: the run's throughput over the stage's mean turn size. */
function turnsPerSecondOf(
  http: SimulationResult['stages'][number] | undefined,
  throughputRps: number,
): number | undefined {
  if (!http || !(http.meanBatchSize > 0) || !(throughputRps > 0)) return undefined;
  return throughputRps / http.meanBatchSize;
}

/**
 * The contention load of a simulated run without contention (the first of two passes): the
 * instances' and the event loop's utilisation as simulated, plus `others` (e.g. a load
 * generator's utilisation). The second pass simulates servingPipeline(..., load).
 */
export function contentionLoadOf(r: SimulationResult, others: number[] = []): ContentionLoad {
  const stage = (id: string) => r.stages.find((s) => s.id === id);
  const http = stage(REQUEST_PATH_STAGE_ID);
  return {
    instanceUtilisation: stage(SERVING_STAGE_ID)?.utilisation ?? 0,
    eventLoopUtilisation: http?.utilisation ?? 0,
    others,
    meanBatchSize: stage(SERVING_STAGE_ID)?.meanBatchSize || undefined,
    turnsPerSecond: turnsPerSecondOf(http, r.throughputRps),
  };
}
