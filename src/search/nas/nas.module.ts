import { Module } from '@nestjs/common';
import { ModelsModule } from '../../models/models.module';
import { JobHandlerRegistry } from '../../platform/jobs/job-handler.registry';
import { NasExportHandler } from './nas-export.handler';
import { NasModelAdapter } from './nas-model.adapter';
import { NAS_MODEL_PORT, NasModelPort } from './nas-port';
import { NasController } from './nas.controller';
import { NasJobHandler } from './nas.handler';
import { PruneJobHandler } from './prune.handler';

/**
 * Neural architecture search and pruning search: the `nas`, `nas-export` and `prune` job kinds
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
      inject: [NAS_MODEL_PORT],
      useFactory: (port: NasModelPort) => new NasJobHandler(port),
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
  ) {
    registry.register(nas);
    registry.register(prune);
    registry.register(nasExport);
  }
}
