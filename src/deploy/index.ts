/**
 * Public API of the Kubernetes deployment module: the executor, the queue port it needs, its
 * configuration, and the pure Job builder (for `autodl jobs manifest`-style tooling and tests).
 */
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export { KubernetesExecutor, describeError } from './kubernetes-executor';
export type { KubernetesExecutorDeps, Clock, ExecutorLogger } from './kubernetes-executor';
export type {
  DispatchQueue,
  DispatchedJob,
  EventLevel,
  JobToDispatch,
} from './dispatch-queue.port';
export {
  loadKubernetesExecutorConfig,
  KubernetesConfigError,
  KUBERNETES_EXECUTOR_DEFAULTS,
} from './kubernetes-config';
export type { KubernetesExecutorConfig, ExecutorTiming, ClusterAccess } from './kubernetes-config';
export { PgDispatchQueue } from './pg-dispatch-queue';
export { buildJobManifest, resolveResources, jobName, managedSelector } from './core/job-spec';
export type { JobSpecConfig, ResourceRequest } from './core/job-spec';

/**
 * The cluster connection the way kubectl finds it: the given kubeconfig file(s) (the value of
 * $KUBECONFIG, several joined by the path delimiter and merged, the first one's context
 * current), else the pod's ServiceAccount when running in a cluster, else ~/.kube/config.
 */
export function loadKubeConfig(kubeconfig: string | null = null): KubeConfig {
  const kc = new KubeConfig();
  const files = (kubeconfig ?? '').split(path.delimiter).filter((f) => f !== '');
  if (files.length === 0) {
    kc.loadFromDefault();
    return kc;
  }
  kc.loadFromFile(files[0]);
  for (const file of files.slice(1)) {
    const more = new KubeConfig();
    more.loadFromFile(file);
    kc.mergeConfig(more, true);
  }
  return kc;
}
