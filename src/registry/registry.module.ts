import { Module, OnModuleInit } from '@nestjs/common';
import { DatasetsModule } from '../datasets/datasets.module';
import { DatasetsService } from '../datasets/datasets.service';
import { TfRuntime } from '../ml/tf-runtime';
import { JobHandlerRegistry } from '../platform/jobs/job-handler.registry';
import { ModelFilesService } from './model-files';
import { ModelBundleService } from './model-bundle';
import { InferenceCache } from './inference-cache';
import { ModelRegistryAdapter } from './model-registry.adapter';
import { MODEL_REGISTRY } from './model-registry.port';
import { ModelsController } from './models.controller';
import { ModelStorage } from './model-storage';
import { ModelsRepository } from './models.repository';
import { ModelsService } from './models.service';

/**
 * The model registry (rows, files, predict) and MODEL_REGISTRY, the port other capabilities
 * load and register models and data sets through. It also registers how job specs' model and
 * data set references resolve: both with the port, so whatever replaces the registry (a test
 * registry) replaces the resolution with it. The TF.js backend is selected once at start.
 */
@Module({
  imports: [DatasetsModule],
  controllers: [ModelsController],
  providers: [
    TfRuntime,
    ModelsRepository,
    ModelStorage,
    ModelsService,
    InferenceCache,
    ModelFilesService,
    ModelBundleService,
    ModelRegistryAdapter,
    { provide: MODEL_REGISTRY, useExisting: ModelRegistryAdapter },
  ],
  exports: [MODEL_REGISTRY, ModelsService, TfRuntime, DatasetsModule],
})
export class RegistryModule implements OnModuleInit {
  constructor(
    registry: JobHandlerRegistry,
    models: ModelsService,
    datasets: DatasetsService,
    private readonly tf: TfRuntime,
  ) {
    registry.registerReferenceResolver(
      'model',
      async (projectId, ref) => (await models.get(projectId, ref)).id,
    );
    registry.registerReferenceResolver(
      'dataset',
      async (projectId, ref) => (await datasets.get(projectId, ref)).id,
    );
  }

  async onModuleInit(): Promise<void> {
    await this.tf.ready();
  }
}
