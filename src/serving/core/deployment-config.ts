import type { BatchConfig, QueueConfig } from './batcher';

/** What a deployment row stores and a host applies (the normalised REST body). */
export interface DeploymentConfig {
  instances: number;
  batch: BatchConfig;
  queue: QueueConfig;
  /** JIZHI's cut-off: above `queueThreshold` waiting requests, batches run on `model`. */
  cutoff?: { queueThreshold: number; model: string };
}

/** Named defaults (the REST schema's). */
export const DEPLOYMENT_DEFAULTS = {
  instances: 1,
  batch: { maxSize: 8, maxDelayMs: 5 },
  queue: { capacity: 64, timeoutMs: 1000 },
} as const;

/** A name usable in a URL and as part of a Kubernetes object name. */
export const DEPLOYMENT_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$';

/** The config with a partial change applied (PATCH): nested objects merge field by field. */
export function mergeConfig(
  current: DeploymentConfig,
  change: {
    instances?: number;
    batch?: Partial<BatchConfig>;
    queue?: Partial<QueueConfig>;
  },
): DeploymentConfig {
  return {
    ...current,
    instances: change.instances ?? current.instances,
    batch: { ...current.batch, ...change.batch },
    queue: { ...current.queue, ...change.queue },
  };
}
