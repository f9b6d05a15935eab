import { Module, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { releaseInferenceThreads } from '../ml/train/parallel-predict';
import { JobHandlerRegistry } from '../platform/jobs/job-handler.registry';
import { ExplainJobHandler } from './explain.handler';
import { EXPLANATION_JOBS, PlatformExplanationJobs } from './explanation-jobs';
import { DynamicsController, ExplanationsController } from './explanations.controller';
import { ExplanationsService } from './explanations.service';
import { RegistryPredictProvider, registryLookup } from './model-registry.adapter';
import { NormLimeJobHandler } from './normlime.handler';
import { PREDICT_PROVIDER, type PredictProvider } from './predict-provider';

/** Registered models through the model registry port, looked up when first used. */
export const PREDICT_PROVIDER_FROM_REGISTRY = {
  provide: PREDICT_PROVIDER,
  inject: [ModuleRef],
  useFactory: (moduleRef: ModuleRef): PredictProvider =>
    new RegistryPredictProvider(registryLookup(moduleRef)),
};

/**
 * Explanations: the `explain` and `normlime` job kinds over registered models, the
 * /v1/explanations API and the training-dynamics ranking of finetune jobs. On shutdown it stops
 * the process's inference replica threads, the warm parked ones included (bulk prediction keeps
 * them between jobs: src/ml/train/parallel-predict.ts).
 */
@Module({
  controllers: [ExplanationsController, DynamicsController],
  providers: [
    PREDICT_PROVIDER_FROM_REGISTRY,
    { provide: EXPLANATION_JOBS, useClass: PlatformExplanationJobs },
    ExplanationsService,
    {
      provide: ExplainJobHandler,
      inject: [PREDICT_PROVIDER],
      useFactory: (models: PredictProvider) => new ExplainJobHandler(models),
    },
    {
      provide: NormLimeJobHandler,
      inject: [PREDICT_PROVIDER],
      useFactory: (models: PredictProvider) => new NormLimeJobHandler(models),
    },
  ],
})
export class InterpretModule implements OnApplicationShutdown {
  constructor(
    registry: JobHandlerRegistry,
    explain: ExplainJobHandler,
    normlime: NormLimeJobHandler,
  ) {
    registry.register(explain);
    registry.register(normlime);
  }

  onApplicationShutdown(): void {
    releaseInferenceThreads();
  }
}
