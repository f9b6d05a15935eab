import * as path from 'node:path';
import { Global, Inject, Module } from '@nestjs/common';
import { ArtifactStore } from '../artifacts/artifact-store';
import { ArtifactsRepository } from '../artifacts/artifacts.repository';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { NoopHandler } from './builtin/noop.handler';
import { SleepHandler } from './builtin/sleep.handler';
import { JobHandlerRegistry } from './job-handler.registry';
import { JobsRepository } from './jobs.repository';
import { JobsService } from './jobs.service';
import { QueueStatsRepository } from './queue-stats.repository';

/**
 * What both the API and the workers need: the handler registry (capability modules register
 * their kinds into it), the repositories of the job tables, the artifact store and the job rules.
 */
@Global()
@Module({
  providers: [
    JobHandlerRegistry,
    JobsRepository,
    ArtifactsRepository,
    QueueStatsRepository,
    JobsService,
    {
      provide: ArtifactStore,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new ArtifactStore(path.join(config.home, 'artifacts')),
    },
  ],
  exports: [
    JobHandlerRegistry,
    JobsRepository,
    ArtifactsRepository,
    QueueStatsRepository,
    JobsService,
    ArtifactStore,
  ],
})
export class JobsCoreModule {
  constructor(registry: JobHandlerRegistry, @Inject(APP_CONFIG) config: AppConfig) {
    registry.register(new SleepHandler({ testHooks: config.testHooks }));
    registry.register(new NoopHandler());
  }
}
