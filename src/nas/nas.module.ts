import { Module } from '@nestjs/common';
import { ModelsModule } from '../models/models.module';
import { JobHandlerRegistry } from '../platform/jobs/job-handler.registry';
import { SearchModule } from '../search/search.module';
import { TrialJobDriver } from '../search/handlers/trial-job-driver';
import { TRIAL_JOBS, TrialJobs } from '../search/handlers/trial-jobs.port';
import { StudiesRepository } from '../search/storage/studies.repository';
import { NasExportHandler } from './nas-export.handler';
import { NasModelAdapter } from './nas-model.adapter';
import { NAS_MODEL_PORT, NasModelPort } from './nas-model.port';
import { NasSearch } from './nas-search';
import { NasTrialHandler } from './nas-trial.handler';
import { NasTrialRun } from './nas-trial-run';
import { NasController } from './nas.controller';
import { NasJobHandler } from './nas.handler';
import { NasService } from './nas.service';
import { PruneJobHandler } from './prune.handler';

/**
 * Neural architecture search and pruning search: the `nas` (driver), `nas-trial` (one candidate),
 * `nas-export` and `prune` job kinds over the model registry (NAS_MODEL_PORT), and /v1/nas,
 * /v1/prune. NAS studies live in the search service's tables (SearchModule's StudiesRepository)
 * and run on its trial-job driver.
 */
@Module({
  imports: [ModelsModule, SearchModule],
  controllers: [NasController],
  providers: [
    NasModelAdapter,
    { provide: NAS_MODEL_PORT, useExisting: NasModelAdapter },
    NasService,
    {
      provide: NasJobHandler,
      inject: [NAS_MODEL_PORT, StudiesRepository, TRIAL_JOBS],
      useFactory: (port: NasModelPort, studies: StudiesRepository, jobs: TrialJobs) =>
        new NasJobHandler(new NasSearch(port, studies, new TrialJobDriver(studies, jobs))),
    },
    {
      provide: NasTrialHandler,
      inject: [NAS_MODEL_PORT, StudiesRepository, TRIAL_JOBS],
      useFactory: (port: NasModelPort, studies: StudiesRepository, jobs: TrialJobs) =>
        new NasTrialHandler(new NasTrialRun(port, studies, jobs)),
    },
    {
      provide: PruneJobHandler,
      inject: [NAS_MODEL_PORT],
      useFactory: (port: NasModelPort) => new PruneJobHandler(port),
    },
    NasExportHandler,
  ],
})
export class NasModule {
  constructor(
    registry: JobHandlerRegistry,
    nas: NasJobHandler,
    prune: PruneJobHandler,
    nasExport: NasExportHandler,
    nasTrial: NasTrialHandler,
  ) {
    registry.register(nas);
    registry.register(nasTrial);
    registry.register(prune);
    registry.register(nasExport);
  }
}
