import { Module } from '@nestjs/common';
import { JobHandlerRegistry } from '../platform/jobs/job-handler.registry';
import { RegistryModule } from '../registry/registry.module';
import { FederationHandler } from './federation.handler';
import { FederationsController } from './federations.controller';
import { FederationsService } from './federations.service';
import { FederationsRepository } from './storage/federations.repository';
import { SiteWorkRepository } from './storage/site-work.repository';
import { SiteApiController } from './site-api.controller';
import { SiteSplitController } from './site-split.controller';
import { SitePlacementsController } from './site-placements.controller';
import { SiteSplitService } from './site-split.service';
import { FederationSiteHandler } from './site-job.handler';
import { PlatformSiteJobs, SITE_JOBS } from './site-jobs';

/**
 * Collaborative learning across sites: `POST /v1/federations`, job kinds `federation` (the
 * coordinator) and `federation-site` (local sites' training, one job per site and round), and
 * `POST /v1/datasets/:ref/site-split` to make site data sets for experiments, and
 * `GET /v1/site-placements` (the namespaces a site may be placed in).
 */
@Module({
  imports: [RegistryModule],
  controllers: [
    FederationsController,
    SiteApiController,
    SiteSplitController,
    SitePlacementsController,
  ],
  providers: [
    FederationHandler,
    FederationSiteHandler,
    FederationsService,
    FederationsRepository,
    SiteWorkRepository,
    SiteSplitService,
    { provide: SITE_JOBS, useClass: PlatformSiteJobs },
  ],
})
export class CollabModule {
  constructor(
    registry: JobHandlerRegistry,
    federation: FederationHandler,
    site: FederationSiteHandler,
  ) {
    registry.register(federation);
    registry.register(site);
  }
}
