import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

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
