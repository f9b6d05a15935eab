import { Module } from '@nestjs/common';
import { JobHandlerRegistry } from '../platform/jobs/job-handler.registry';
import { RegistryModule } from '../registry/registry.module';
import { FinetuneHandler } from './finetune.handler';
import { PretrainHandler } from './pretrain.handler';
import { TrainingController } from './training.controller';

/** Pretraining and fine-tuning: `POST /v1/pretrain`, `POST /v1/finetune` and their job kinds. */
@Module({
  imports: [RegistryModule],
  controllers: [TrainingController],
  providers: [PretrainHandler, FinetuneHandler],
})
export class TransferModule {
  constructor(registry: JobHandlerRegistry, pretrain: PretrainHandler, finetune: FinetuneHandler) {
    registry.register(pretrain);
    registry.register(finetune);
  }
}
