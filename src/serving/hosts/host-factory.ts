import type { AppConfig } from '../../platform/config/app-config';
import type { ServingMetrics } from '../serving-metrics';
import type { DeploymentHost } from './deployment-host.port';
import { LocalDeploymentHost } from './local-deployment-host';

/** The host AUTODL_EXECUTOR implies (docs/serving.md, "Where a deployment runs"). */
export function createDeploymentHost(config: AppConfig, metrics: ServingMetrics): DeploymentHost {
  return new LocalDeploymentHost(config.tfBackend, metrics);
}
