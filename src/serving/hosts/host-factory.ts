import type { AppConfig } from '../../platform/config/app-config';
import type { ServingMetrics } from '../serving-metrics';
import type { DeploymentHost } from './deployment-host.port';
import { LocalDeploymentHost } from './local-deployment-host';

/**
 * The host AUTODL_EXECUTOR implies (docs/serving.md, "Where a deployment runs"): local, worker
 * threads of each API process; kubernetes, a Deployment + Service per deployment. The Kubernetes
 * modules are loaded only then, as the executor's are.
 */
export async function createDeploymentHost(
  config: AppConfig,
  metrics: ServingMetrics,
): Promise<DeploymentHost> {
  if (config.executor === 'kubernetes') {
    const { KUBERNETES_CONFIG_SECTION } = await import('../../deploy/kubernetes-config');
    const kubernetes = config.sections.get(KUBERNETES_CONFIG_SECTION);
    if (kubernetes) {
      const [{ loadKubeConfig }, { KubernetesDeploymentHost }] = await Promise.all([
        import('../../deploy/kube-connection'),
        import('./kubernetes-deployment-host'),
      ]);
      return new KubernetesDeploymentHost({
        kubeConfig: () => loadKubeConfig(kubernetes.kubeconfig),
        config: kubernetes,
      });
    }
  }
  return new LocalDeploymentHost(config.tfBackend, metrics);
}
