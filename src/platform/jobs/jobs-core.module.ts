import * as path from 'node:path';
import { Global, Inject, Module } from '@nestjs/common';
import { ArtifactStore } from '../artifacts/artifact-store';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { NoopHandler, SleepHandler } from './builtin/sleep.handler';
import { JobHandlerRegistry } from './job-handler.registry';
import { JobsService } from './jobs.service';

/**
 * What both the API and the workers need: the handler registry (capability modules register
 * their kinds into it), the artifact store and the job rules.
 */
@Global()
@Module({
  providers: [
    JobHandlerRegistry,
    JobsService,
    {
      provide: ArtifactStore,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new ArtifactStore(path.join(config.home, 'artifacts')),
    },
  ],
  exports: [JobHandlerRegistry, JobsService, ArtifactStore],
})
export class JobsCoreModule {
  constructor(registry: JobHandlerRegistry, @Inject(APP_CONFIG) config: AppConfig) {
    registry.register(new SleepHandler({ testHooks: config.testHooks }));
    registry.register(new NoopHandler());
  }
}
