import { Inject, Injectable } from '@nestjs/common';
import { splitsOf } from '../datasets/core/dataset-codec';
import { TfRuntime } from '../ml/tf-runtime';
import type { JobContext, JobHandler, SpecReference } from '../platform/jobs/job-handler';
import { contractOf } from '../registry/core/predict';
import { MODEL_REGISTRY, TrainingRegistryPort } from '../registry/model-registry.port';
import type { FinetuneSpec } from './core/training-specs';
import { finetune, FinetuneEpochMetrics } from './finetune';
import { finetuneEntry } from './finetune-entry';
import { FinetuneDynamics } from './finetune-dynamics';
import {
  finetuneCheckpointer,
  finetuneResume,
  FinetuneTensors,
  finetuneTensors,
} from './finetune-inputs';
import { finetuneSpec } from './finetune.schema';
import { runTrainingJob, TrainedModel, TrainingJob, TrainingRun } from './training-job';

/**
 * `finetune`: base model + target data set + method (l2, l2sp, delta, rifle, dtnh+..., auto)
 * through src/transfer/finetune.ts; registers the result with its lineage. The model keeps the
 * base model's input preprocessing (normalisation, vocabulary): the backbone was trained on it.
 * Every epoch stores the weights (and the dynamics recorded so far) as checkpoint artifacts; a
 * re-queued attempt continues after the last stored epoch (see finetune() for what carries over).
 */
@Injectable()
export class FinetuneHandler
  implements JobHandler<FinetuneSpec, Record<string, unknown>>, TrainingJob<FinetuneSpec>
{
  readonly kind = 'finetune';
  readonly references: readonly SpecReference[] = [
    { field: 'baseModel', kind: 'model' },
    { field: 'dataset', kind: 'dataset' },
  ];

  constructor(
    @Inject(MODEL_REGISTRY) private readonly registry: TrainingRegistryPort,
    private readonly tfRuntime: TfRuntime,
  ) {}

  validate(spec: unknown): FinetuneSpec {
    return finetuneSpec.parse(spec);
  }

  run(spec: FinetuneSpec, ctx: JobContext): Promise<Record<string, unknown>> {
    return runTrainingJob(this, spec, ctx, {
      registry: this.registry,
      backend: () => this.tfRuntime.ready(),
    });
  }

  async train(spec: FinetuneSpec, run: TrainingRun): Promise<TrainedModel> {
    const { ctx } = run;
    const { config } = spec;
    const base = await this.registry.loadModel(ctx.projectId, spec.baseModel);
    const contract = contractOf(base.record);
    let data: FinetuneTensors | undefined;
    try {
      const stored = await this.registry.loadSplits(ctx.projectId, spec.dataset);
      const { train, validation, test } = splitsOf(stored);
      data = finetuneTensors(spec, config, { train, validation }, contract, base.vocabulary);
      const dynamics =
        data.originals && new FinetuneDynamics(data.originals, train, stored.split.train);
      const resume = await finetuneResume(run, dynamics);
      const history: FinetuneEpochMetrics[] = [];
      await ctx.log(
        `fine-tuning ${base.record.name} with ${config.method} on ${train.size} examples (${data.augmentedSize} with augmentation), backend ${run.backend}`,
      );
      const result = await finetune({
        base: base.model,
        train: data.train,
        validation: data.validation,
        numClasses: train.numClasses,
        config,
        shouldStop: () => ctx.cancelled,
        resume,
        onCheckpoint: finetuneCheckpointer(run, dynamics),
        onEpochEnd: async (m, model) => {
          history.push(m);
          dynamics?.record(model, m.epoch);
          const { rifleReinits, ...numbers } = m;
          const report = { ...numbers, rifleReinits: rifleReinits.length };
          await run.reportEpoch(report, config.epochs, { from: 0.05, to: 0.95 });
        },
      });
      try {
        if (dynamics && result.stoppedBy !== 'cancelled') {
          await dynamics.store(ctx, spec.dataset, train.classNames);
        }
      } catch (error) {
        result.model.dispose();
        throw error;
      }
      return {
        model: result.model,
        stoppedBy: result.stoppedBy,
        history,
        resumedEpochs: resume?.epochsDone ?? 0,
        test: { dataset: test, contract, vocabulary: base.vocabulary },
        entry: finetuneEntry(spec, ctx.jobId, base, train.classNames, result, history),
        summary: () => ({ method: config.method }),
      };
    } finally {
      data?.dispose();
      base.model.dispose();
    }
  }
}
