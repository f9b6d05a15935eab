import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../platform/config/app-config';
import { HealthModule } from '../platform/health/health.module';
import { RegistryModule } from '../registry/registry.module';
import { DataPlaneInstaller } from './data-plane';
import { DeploymentsController, ServeController } from './deployments.controller';
import { DeploymentsService } from './deployments.service';
import { DEPLOYMENT_HOST } from './hosts/deployment-host.port';
import { createDeploymentHost } from './hosts/host-factory';
import { RequestPathMeter } from './request-path-meter';
import { ServingMetrics } from './serving-metrics';
import { DeploymentsRepository } from './storage/deployments.repository';

/**
 * Serving: deployments of registered models behind a dynamic batcher (docs/serving.md). The
 * host is chosen by AUTODL_EXECUTOR: worker threads of the API process (local) or a Deployment
 * + Service per deployment (kubernetes).
 */
@Module({
  imports: [RegistryModule, HealthModule],
  controllers: [DeploymentsController, ServeController],
  providers: [
    DeploymentsRepository,
    DeploymentsService,
    ServingMetrics,
    RequestPathMeter,
    DataPlaneInstaller,
    {
      provide: DEPLOYMENT_HOST,
      inject: [APP_CONFIG, ServingMetrics],
      useFactory: (config: AppConfig, metrics: ServingMetrics) =>
        createDeploymentHost(config, metrics),
    },
  ],
  exports: [DeploymentsService, RequestPathMeter],
})
export class ServingModule {}
