import { simulate } from '../../jizhi-sim/core/prepare-simulation';
import { TrafficSpec } from '../../jizhi-sim/core/traffic/traffic-model-registry';
import { normaliseTuneSpec } from '../../jizhi-sim/core/tune/tune-spec';
import { TuneHooks, tune } from '../../jizhi-sim/core/tune/tuner';
import { runUnderContention } from './contention-fixed-point';
import { ServiceProfile } from './service-profile';
import {
  ContentionLoad,
  DeploymentConfig,
  NO_OVERHEADS,
  contentionLoadOf,
  SERVING_STAGE_ID,
  ServingOverheads,
  configCapacityRps,
  servingPipeline,
} from './serving-pipeline';

export interface DeploymentSlo {
  p99Ms: number;
  maxDropRate: number;
}

export interface TuneDeploymentInput {
  profile: ServiceProfile;
  traffic: TrafficSpec;
  slo: DeploymentSlo;
  overheads?: ServingOverheads;
  /** Other busy threads on the host (utilisations), e.g. a load generator on the same machine. */
  otherThreads?: number[];
  /** Upper bound of the instance count searched (e.g. the host's cores). */
  maxInstances: number;
  /** maxDelayMs values searched (ms). */
  delaysMs?: number[];
  /** Distinct configurations the tuner may simulate (the default searches the grid exhaustively when it is smaller). */
  trials?: number;
  seeds?: number;
  durationS?: number;
  seed?: number;
}

export interface PredictedLatency {
  p50Ms: number;
  p99Ms: number;
  dropRate: number;
  throughputRps: number;
}

export interface DeploymentTuning {
  /** The cheapest config meeting the SLO (fewest instances; among those the lowest p99), or null. */
  config: DeploymentConfig | null;
  /** What the simulator predicts for `config`, queue limit included. */
  predicted: PredictedLatency | null;
  slo: DeploymentSlo;
  traffic: TrafficSpec;
  trials: number;
  simulations: number;
  /** Every feasible configuration the tuner found, cheapest first. */
  feasible: { config: DeploymentConfig; p99Ms: number; dropRate: number }[];
}

const DEFAULT_DELAYS_MS = [0, 1, 2, 4, 8];

/**
 * Tunes a deployment with the simulator's tuner (src/jizhi-sim/core/tune): instances, maxSize
 * (the profiled batch sizes) and maxDelayMs against the SLO, cost = instance count. The queue
 * capacity is then set to what the SLO allows: a request that finds K waiting behind a config
 * serving C req/s waits at least about K / C, so K = ceil(p99 x C) places keep every admitted
 * request within reach of the SLO and shed the rest under overload instead of queueing them
 * for ever. The chosen config, capacity included, is simulated once more for the prediction.
 */
export async function tuneDeployment(
  input: TuneDeploymentInput,
  hooks: TuneHooks = {},
): Promise<DeploymentTuning> {
  const overheads = input.overheads ?? NO_OVERHEADS;
  const sizes = input.profile.rows.map((r) => r.batchSize).sort((a, b) => a - b);
  const delays = input.delaysMs ?? DEFAULT_DELAYS_MS;
  const gridSize = input.maxInstances * sizes.length * delays.length;
  const base: DeploymentConfig = {
    instances: 1,
    batch: { maxSize: sizes[0], maxDelayMs: 0 },
    queue: { capacity: 0, timeoutMs: 0 },
  };
  const durationS = input.durationS ?? 60;
  // Contention during the search: the instances' total busy threads are rate x per-request cost
  // at the largest batch (what any instance count shares), spread over maxInstances; the event
  // loop's utilisation is rate x its per-request time. Conservative for fewer instances; the
  // chosen config's prediction below uses its simulated utilisations instead.
  const rate = meanRateRps(input.traffic);
  const largest = input.profile.rows.reduce((a, r) => (r.batchSize > a.batchSize ? r : a));
  const busyThreads = (rate * largest.meanMs) / largest.batchSize / 1000;
  // The event loop's per-batch part is amortised over the largest batch during the search
  // (optimistic: every candidate is then re-predicted with its own simulated batches below).
  const contentionLoad =
    overheads.contention && rate > 0
      ? {
          instanceUtilisation: Math.min(1, busyThreads / input.maxInstances),
          eventLoopUtilisation: Math.min(
            1,
            (rate * (overheads.requestPath?.eventLoopMs ?? 0)) / 1000,
          ),
          others: input.otherThreads ?? [],
        }
      : { instanceUtilisation: 0, eventLoopUtilisation: 0 };
  const searchLoad = { ...contentionLoad, meanBatchSize: largest.batchSize };
  const spec = normaliseTuneSpec({
    pipeline: servingPipeline(input.profile, base, overheads, searchLoad),
    traffic: input.traffic,
    slo: { p99Ms: input.slo.p99Ms, maxDropRate: input.slo.maxDropRate, maxAccuracyPenalty: 1 },
    space: [
      { stage: SERVING_STAGE_ID, param: 'instances', low: 1, high: input.maxInstances },
      { stage: SERVING_STAGE_ID, param: 'batch.maxSize', values: sizes },
      // The timer's lateness is added to every positive delay, as servingPipeline does.
      {
        stage: SERVING_STAGE_ID,
        param: 'batch.maxDelayMs',
        values: delays.map((d) => (d > 0 ? d + overheads.timerLateMs : 0)),
      },
    ],
    budget: { trials: Math.min(input.trials ?? gridSize, gridSize) },
    seeds: input.seeds ?? 2,
    sampler: (input.trials ?? gridSize) >= gridSize ? 'grid' : 'tpe',
    samplerOptions: {},
    objective: 'min-cost',
    durationS,
    warmupS: Math.min(5, durationS / 10),
    seed: input.seed ?? 0,
  });
  const result = await tune(spec, hooks);
  const toConfig = (params: Record<string, number>): DeploymentConfig => {
    const d = params[`${SERVING_STAGE_ID}.batch.maxDelayMs`];
    return {
      instances: params[`${SERVING_STAGE_ID}.instances`],
      batch: {
        maxSize: params[`${SERVING_STAGE_ID}.batch.maxSize`],
        maxDelayMs: d > 0 ? round3(d - overheads.timerLateMs) : 0,
      },
      queue: { capacity: 0, timeoutMs: 0 },
    };
  };
  const feasible = result.history
    .filter((h) => h.feasible)
    .sort((a, b) => a.cost - b.cost || a.p99Ms - b.p99Ms)
    .map((h) => ({ config: toConfig(h.params), p99Ms: h.p99Ms, dropRate: h.dropRate }));
  const summary = {
    slo: input.slo,
    traffic: input.traffic,
    trials: result.trials,
    simulations: result.simulations,
    feasible,
  };
  if (feasible.length === 0) return { ...summary, config: null, predicted: null };
  // The search's pipeline is fixed while the tuner turns the model stage's knobs, so its event
  // loop pays the per-batch part at one batch size for every candidate. Each candidate, cheapest
  // first, is therefore predicted on its own (the contention its utilisations cause, and its
  // mean batch for the loop's per-batch part) and the first that keeps the SLO
  // is chosen: a config whose small batches overload the event loop is passed over.
  const predict = (config: DeploymentConfig) => {
    const run = (load?: ContentionLoad) =>
      simulate({
        pipeline: servingPipeline(input.profile, config, overheads, load),
        traffic: input.traffic,
        durationS,
        warmupS: spec.warmupS,
        seed: spec.seed,
        samplePoints: 0,
      });
    // With a contention profile, solved as a fixed point (contention-fixed-point.ts); with the
    // loop's per-batch part alone, a second pass at the first's mean batch suffices.
    if (overheads.contention) return runUnderContention(run, input.otherThreads ?? []).result;
    const first = run();
    const perBatch = (overheads.requestPath?.perBatchMs ?? 0) > 0;
    return perBatch ? run(contentionLoadOf(first, input.otherThreads ?? [])) : first;
  };
  const keeps = (r: ReturnType<typeof predict>) =>
    r.latencyMs.p99 <= input.slo.p99Ms && r.requests.dropRate <= input.slo.maxDropRate;
  let chosen: DeploymentConfig | undefined;
  let r: ReturnType<typeof predict> | undefined;
  for (const candidate of feasible.slice(0, VERIFY_CANDIDATES)) {
    const config = withQueue(candidate.config, input.profile, input.slo.p99Ms);
    const prediction = predict(config);
    chosen ??= config;
    r ??= prediction;
    if (keeps(prediction)) {
      chosen = config;
      r = prediction;
      break;
    }
  }
  if (!chosen || !r) return { ...summary, config: null, predicted: null };
  return {
    ...summary,
    config: chosen,
    predicted: {
      p50Ms: r.latencyMs.p50,
      p99Ms: r.latencyMs.p99,
      dropRate: r.requests.dropRate,
      throughputRps: r.throughputRps,
    },
  };
}

/** Feasible configs (cheapest first) predicted on their own before one is chosen. */
const VERIFY_CANDIDATES = 8;

/** The config with its queue capacity set to what the SLO allows (see tuneDeployment). */
function withQueue(
  config: DeploymentConfig,
  profile: TuneDeploymentInput['profile'],
  p99Ms: number,
): DeploymentConfig {
  const capacityRps = configCapacityRps(profile, config);
  return {
    ...config,
    queue: {
      ...config.queue,
      capacity: Math.max(config.batch.maxSize, Math.ceil((p99Ms / 1000) * capacityRps)),
    },
  };
}

/** The traffic's mean arrival rate, when the model says it plainly (else 0: no contention term). */
function meanRateRps(traffic: TrafficSpec): number {
  const t = traffic as { rateRps?: unknown };
  return typeof t.rateRps === 'number' ? t.rateRps : 0;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
