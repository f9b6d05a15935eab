import type { DeploymentConfig } from '../core/deployment-config';
import type { RecentRates } from '../core/request-rates';
import type { PredictResult, RuntimeMetrics } from '../runtime/deployment-runtime';

/** A deployment as a host runs it: the row plus where its model files are. */
export interface HostedDeployment {
  id: string;
  projectId: string;
  name: string;
  generation: number;
  config: DeploymentConfig;
  /** Absolute directory with model.json + weights.bin (local hosts). */
  modelDir: string;
  /** The cut-off model's directory, when `config.cutoff` is set. */
  cutoffModelDir?: string;
}

export type HostState = 'starting' | 'running' | 'failed' | 'absent';

export interface HostStatus {
  state: HostState;
  /** The generation the host runs (0: none). */
  generation: number;
  error?: string;
  /** Local host: the runtime's live metrics. */
  metrics?: RuntimeMetrics;
  /** Local host: served and dropped requests per second over the last ~10 s. */
  rates?: RecentRates;
  /** Kubernetes host: pods wanted and ready (each pod serves /metrics itself). */
  replicas?: { desired: number; ready: number };
}

/**
 * Where deployments run. `LocalDeploymentHost`: worker threads in this API process;
 * `KubernetesDeploymentHost`: a Deployment + Service per deployment, requests forwarded to it.
 * `apply` converges on a row (start, or reconfigure to a newer generation) and is idempotent.
 */
export interface DeploymentHost {
  readonly kind: 'local' | 'kubernetes';
  apply(d: HostedDeployment): Promise<void>;
  remove(id: string): Promise<void>;
  predict(id: string, sample: Float32Array, deadlineMs?: number): Promise<PredictResult>;
  status(id: string): Promise<HostStatus>;
  /** Ids this host runs (to remove those whose row is gone). */
  hosted(): Promise<string[]>;
  close(): Promise<void>;
}

export const DEPLOYMENT_HOST = Symbol('DEPLOYMENT_HOST');
