import { Module } from '@nestjs/common';
import { JobHandlerRegistry } from '../platform/jobs/job-handler.registry';
import { ExplainJobHandler } from './explain.handler';
import { DynamicsController, ExplanationsController } from './explanations.controller';
import { ExplanationsService } from './explanations.service';
import { NormLimeJobHandler } from './normlime.handler';
import { RegistryPredictProvider } from './registry-provider';

/**
 * Explanations: the `explain` and `normlime` job kinds over registered models, the
 * /v1/explanations API and the training-dynamics ranking of finetune jobs.
 */
@Module({
  controllers: [ExplanationsController, DynamicsController],
  providers: [
    RegistryPredictProvider,
    ExplanationsService,
    {
      provide: ExplainJobHandler,
      inject: [RegistryPredictProvider],
      useFactory: (models: RegistryPredictProvider) => new ExplainJobHandler(models),
    },
    {
      provide: NormLimeJobHandler,
      inject: [RegistryPredictProvider],
      useFactory: (models: RegistryPredictProvider) => new NormLimeJobHandler(models),
    },
  ],
})
export class InterpretModule {
  constructor(
    registry: JobHandlerRegistry,
    explain: ExplainJobHandler,
    normlime: NormLimeJobHandler,
  ) {
    registry.register(explain);
    registry.register(normlime);
  }
}
