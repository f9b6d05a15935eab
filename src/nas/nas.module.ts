import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ModelsModule } from '../models/models.module';
import { JobHandlerRegistry } from '../platform/jobs/job-handler.registry';
import { JobsService } from '../platform/jobs/jobs.service';
import { NasExportHandler } from './nas-export.handler';
import { NasModelAdapter } from './nas-model.adapter';
import { NAS_MODEL_PORT, NasModelPort } from './nas-model.port';
import { NasController } from './nas.controller';
import { NasJobHandler } from './nas.handler';
import { NasTrialHandler } from './nas-trial.handler';
import { PruneJobHandler } from './prune.handler';

/**
 * Neural architecture search and pruning search: the `nas` (driver), `nas-trial` (one candidate),
 * `nas-export` and `prune` job kinds
 * over the model registry (NAS_MODEL_PORT), and /v1/nas, /v1/prune.
 */
@Module({
  imports: [ModelsModule],
  controllers: [NasController],
  providers: [
    NasModelAdapter,
    { provide: NAS_MODEL_PORT, useExisting: NasModelAdapter },
    {
      provide: NasJobHandler,
      inject: [NAS_MODEL_PORT, DataSource, JobsService],
      useFactory: (port: NasModelPort, db: DataSource, jobs: JobsService) =>
        new NasJobHandler(port, db, jobs),
    },
    NasTrialHandler,
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
