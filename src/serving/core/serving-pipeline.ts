import { PipelineSpec, StageSpec } from '../../jizhi-sim/core/pipeline';
import { ServiceProfile } from './service-profile';

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
}

export const NO_OVERHEADS: ServingOverheads = { timerLateMs: 0, replyMs: 0 };

export const SERVING_STAGE_ID = 'model';

/**
 * The simulator's one-stage pipeline of a deployment: `instances` servers behind one FIFO queue
 * with the dynamic batcher, the profiled service-time distribution per batch size (`empirical`)
 * and the deployment's queue limits.
 */
export function servingPipeline(
  profile: ServiceProfile,
  config: DeploymentConfig,
  overheads: ServingOverheads = NO_OVERHEADS,
): PipelineSpec {
  const stage: StageSpec = {
    id: SERVING_STAGE_ID,
    instances: config.instances,
    service: {
      dist: 'empirical',
      profile: profile.rows.map((r) => ({ batchSize: r.batchSize, latenciesMs: r.latenciesMs })),
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
  if (overheads.replyMs > 0) stage.network = { delayMs: overheads.replyMs, dist: 'deterministic' };
  return { name: 'deployment', stages: [stage] };
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
