/**
 * Public API of the Kubernetes deployment module: the executor, the queue port it needs, its
 * configuration, and the pure Job builder (for `autodl jobs manifest`-style tooling and tests).
 */
import { KubeConfig } from '@kubernetes/client-node';

export { KubernetesExecutor, describeError } from './kubernetes-executor';
export type { KubernetesExecutorDeps, Clock, ExecutorLogger } from './kubernetes-executor';
export type {
  DispatchQueue,
  DispatchedJob,
  EventLevel,
  JobToDispatch,
} from './dispatch-queue.port';
export { loadKubernetesExecutorConfig, KUBERNETES_EXECUTOR_DEFAULTS } from './kubernetes-config';
export type { KubernetesExecutorConfig, ExecutorTiming } from './kubernetes-config';
export { buildJobManifest, resolveResources, jobName, managedSelector } from './core/job-spec';
export type { JobSpecConfig, ResourceRequest } from './core/job-spec';

/**
 * The cluster connection the way kubectl finds it: the pod's ServiceAccount when running in a
 * cluster, else $KUBECONFIG or ~/.kube/config.
 */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
