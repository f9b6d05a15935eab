import { Module } from '@nestjs/common';
import { JobHandlerRegistry } from '../../platform/jobs/job-handler.registry';
import { RegistryModule } from '../../registry/registry.module';
import { ServingModule } from '../serving.module';
import { DeploymentProfilesRepository } from './deployment-profiles.repository';
import { DeploymentProfileHandler } from './profile.handler';
import { ServingLoopController } from './serving-loop.controller';
import { ServingLoopService } from './serving-loop.service';
import { DeploymentTuneHandler } from './tune.handler';

/** Profile -> simulate -> tune -> apply: job kinds `deployment-profile`, `deployment-tune`. */
@Module({
  imports: [ServingModule, RegistryModule],
  controllers: [ServingLoopController],
  providers: [
    DeploymentProfilesRepository,
    DeploymentProfileHandler,
    DeploymentTuneHandler,
    ServingLoopService,
  ],
})
export class ServingLoopModule {
  constructor(
    registry: JobHandlerRegistry,
    profile: DeploymentProfileHandler,
    tune: DeploymentTuneHandler,
  ) {
    registry.register(profile);
    registry.register(tune);
  }
}
