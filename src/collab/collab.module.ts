import { Module } from '@nestjs/common';
import { JobHandlerRegistry } from '../platform/jobs/job-handler.registry';
import { RegistryModule } from '../registry/registry.module';
import { FederationHandler } from './federation.handler';
import { FederationsController } from './federations.controller';
import { FederationsService } from './federations.service';
import { FederationsRepository } from './storage/federations.repository';
import { SiteWorkRepository } from './storage/site-work.repository';
import { SiteApiController } from './site-api.controller';

/** Collaborative learning across sites: `POST /v1/federations` and job kind `federation`. */
@Module({
  imports: [RegistryModule],
  controllers: [FederationsController, SiteApiController],
  providers: [FederationHandler, FederationsService, FederationsRepository, SiteWorkRepository],
})
export class CollabModule {
  constructor(registry: JobHandlerRegistry, federation: FederationHandler) {
    registry.register(federation);
  }
}
