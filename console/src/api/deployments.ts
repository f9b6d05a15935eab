// Wire types and calls of /v1/deployments (docs/serving.md) as the Deployments pages read them.
import { ApiError, getJson, postJson, request } from './client';
import type { JobStatus } from './types';

export interface BatchConfig {
  maxSize: number;
  maxDelayMs: number;
  preferredSizes?: number[];
}

export interface QueueConfig {
  capacity: number;
  timeoutMs: number;
}

export interface ServiceStats {
  batches: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** status.metrics: the runtime's snapshot (local host only). */
export interface DeploymentMetrics {
  queueLength: number;
  instances: number;
  busyInstances: number;
  requests: { served: number; dropped: number };
  drops: Record<string, number>;
  batchSizes: Record<string, number>;
  serviceMsByBatchSize: Record<string, ServiceStats>;
  latencyMs: { count: number; mean: number; p50: number; p95: number; p99: number; max: number };
  queueMs: { mean: number; p99: number };
  backend: string;
}

export interface DeploymentStatus {
  state: 'starting' | 'running' | 'failed' | 'absent';
  generation: number;
  error?: string;
  metrics?: DeploymentMetrics;
  rates?: { windowS: number; servedRps: number; droppedRps: number };
  replicas?: { desired: number; ready: number };
}

export interface Deployment {
  id: string;
  name: string;
  model: { id: string; name: string };
  instances: number;
  batch: BatchConfig;
  queue: QueueConfig;
  cutoff?: { queueThreshold: number; model: string };
  generation: number;
  createdAt: string;
  updatedAt: string;
  endpoints: { predict: string; serve: string };
  status: DeploymentStatus;
}

/** The config the tuner and apply speak (queue 0 = keep the deployment's). */
export interface LoopConfig {
  instances: number;
  batch: { maxSize: number; maxDelayMs: number };
  queue: QueueConfig;
}

export interface TuneResult {
  deploymentId: string;
  profileId: string;
  config: LoopConfig | null;
  predicted: { p50Ms: number; p99Ms: number; dropRate: number; throughputRps: number } | null;
  slo: { p99Ms: number; maxDropRate: number };
  traffic: { model: string; rateRps?: number };
  trials: number;
  simulations: number;
  feasible: { config: LoopConfig; p99Ms: number; dropRate: number }[];
}

export interface LoopJob {
  id: string;
  kind: 'deployment-profile' | 'deployment-tune';
  status: JobStatus;
  progress: number;
  message: string | null;
  error: string | null;
  result: unknown;
  createdAt: string;
}

export interface ProfileRowView {
  batchSize: number;
  samples: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  p99RelCi: number;
  converged: boolean;
}

export interface DeploymentProfile {
  id: string;
  createdAt: string;
  backend: string;
  rule: string;
  rows: ProfileRowView[];
  overheads: { timerLateMs: number; replyMs: number };
  profiledConfig: LoopConfig;
  capacityPerInstanceRps: number;
  /** The API's event loop's capacity at the deployment's maxSize; null: not measured. */
  eventLoopCapacityRps: number | null;
  /** What the config serves at most: the smaller of its instances' and the event loop's. */
  capacityRps: number | null;
}

const base = (ref: string) => `/v1/deployments/${encodeURIComponent(ref)}`;

export const deploymentsApi = {
  list: (signal?: AbortSignal) => getJson<{ items: Deployment[] }>('/v1/deployments', signal),
  get: (ref: string, signal?: AbortSignal) => getJson<Deployment>(base(ref), signal),
  jobs: (ref: string, signal?: AbortSignal) =>
    getJson<{ items: LoopJob[] }>(`${base(ref)}/jobs`, signal),
  /** The newest profile, or null when the deployment has none yet (404). */
  profile: async (ref: string, signal?: AbortSignal): Promise<DeploymentProfile | null> => {
    try {
      return await getJson<DeploymentProfile>(`${base(ref)}/profile`, signal);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  },
  create: (body: unknown) => postJson<Deployment>('/v1/deployments', body),
  update: async (ref: string, body: unknown): Promise<Deployment> => {
    const res = await request(base(ref), { method: 'PATCH', body: JSON.stringify(body) });
    return (await res.json()) as Deployment;
  },
  remove: async (ref: string): Promise<void> => {
    await request(base(ref), { method: 'DELETE' });
  },
  startProfile: (ref: string, body: unknown) => postJson<LoopJob>(`${base(ref)}/profile`, body),
  startTune: (ref: string, body: unknown) => postJson<LoopJob>(`${base(ref)}/tune`, body),
  apply: (ref: string, tuning: string) => postJson<Deployment>(`${base(ref)}/apply`, { tuning }),
};
