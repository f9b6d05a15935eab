import { Module, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../platform/config/app-config';
import { JobHandlerRegistry } from '../platform/jobs/job-handler.registry';
import { DatasetsController } from './datasets.controller';
import { DatasetsService } from './datasets.service';
import { FinetuneHandler } from './finetune.handler';
import { ModelFilesService } from './model-files';
import { ModelRegistry } from './model-registry';
import { MODEL_REGISTRY } from './model-registry.port';
import { ModelsController } from './models.controller';
import { ModelsService } from './models.service';
import { PretrainHandler } from './pretrain.handler';
import { ReferenceResolver } from './references';
import { TfRuntime } from './tf-runtime';
import { TrainingController } from './training.controller';
import { UploadParserPool } from './upload-parser-pool';

/**
 * Data sets, the model registry (MODEL_REGISTRY for other capabilities), and the pretrain and
 * finetune job kinds. The TF.js backend is selected once when the process starts.
 */
@Module({
  controllers: [DatasetsController, ModelsController, TrainingController],
  providers: [
    TfRuntime,
    ReferenceResolver,
    DatasetsService,
    {
      provide: UploadParserPool,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new UploadParserPool({ size: config.uploadThreads }),
    },
    ModelsService,
    ModelFilesService,
    ModelRegistry,
    { provide: MODEL_REGISTRY, useExisting: ModelRegistry },
    PretrainHandler,
    FinetuneHandler,
  ],
  exports: [MODEL_REGISTRY, ModelsService, DatasetsService, TfRuntime, ReferenceResolver],
})
export class ModelsModule implements OnModuleInit {
  constructor(
    registry: JobHandlerRegistry,
    pretrain: PretrainHandler,
    finetune: FinetuneHandler,
    references: ReferenceResolver,
    private readonly tf: TfRuntime,
  ) {
    registry.register(pretrain);
    registry.register(finetune);
    registry.registerReferenceResolver(
      'model',
      async (projectId, ref) => (await references.model(projectId, ref)).id,
    );
    registry.registerReferenceResolver(
      'dataset',
      async (projectId, ref) => (await references.dataset(projectId, ref)).id,
    );
  }

  async onModuleInit(): Promise<void> {
    await this.tf.ready();
  }
}
