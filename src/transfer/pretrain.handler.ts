import { Inject, Injectable } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { splitsOf } from '../datasets/core/dataset-codec';
import { Vocabulary } from '../ml/data';
import { TfRuntime } from '../ml/tf-runtime';
import { EpochMetrics, trainModel } from '../ml/train/trainer';
import type { JobContext, JobHandler, SpecReference } from '../platform/jobs/job-handler';
import { datasetTensors } from '../registry/core/encode';
import { MODEL_REGISTRY, TrainingRegistryPort } from '../registry/model-registry.port';
import type { PretrainSpec } from './core/training-specs';
import { pretrainSpec } from './pretrain.schema';
import { runTrainingJob, TrainedModel, TrainingJob, TrainingRun } from './training-job';
import { contractFor, isPretrainCheckpoint, pretrainEntry, startingModel } from './pretrain-model';

/**
 * `pretrain`: trains a zoo architecture on a registered data set (AutLearn's "cloud pretraining
 * on public data") and registers the model. Every epoch stores the weights as checkpoint
 * artifacts; a re-queued attempt continues from the last stored epoch. The optimizer state
 * (Adam moments) is not checkpointed and restarts, as Keras' ModelCheckpoint with
 * save_weights_only does.
 */
@Injectable()
export class PretrainHandler
  implements JobHandler<PretrainSpec, Record<string, unknown>>, TrainingJob<PretrainSpec>
{
  readonly kind = 'pretrain';
  readonly references: readonly SpecReference[] = [{ field: 'dataset', kind: 'dataset' }];

  constructor(
    @Inject(MODEL_REGISTRY) private readonly registry: TrainingRegistryPort,
    private readonly tfRuntime: TfRuntime,
  ) {}

  validate(spec: unknown): PretrainSpec {
    return pretrainSpec.parse(spec);
  }

  run(spec: PretrainSpec, ctx: JobContext): Promise<Record<string, unknown>> {
    return runTrainingJob(this, spec, ctx, {
      registry: this.registry,
      backend: () => this.tfRuntime.ready(),
    });
  }

  async train(spec: PretrainSpec, run: TrainingRun): Promise<TrainedModel> {
    const { ctx } = run;
    const { train, validation, test } = splitsOf(
      await this.registry.loadSplits(ctx.projectId, spec.dataset),
    );
    const vocabulary =
      train.inputs.kind === 'text'
        ? Vocabulary.build(train.inputs.texts, { maxWords: spec.maxWords })
        : undefined;
    const contract = contractFor(train, spec);
    const resume = run.resumeState(isPretrainCheckpoint)?.epochsDone ?? 0;
    const model = await startingModel(spec, run, resume, {
      inputShape: contract.inputShape,
      numClasses: train.numClasses,
      vocabulary,
    });
    const tensors: tf.Tensor[] = [];
    try {
      const trainSet = datasetTensors(train, contract, vocabulary);
      tensors.push(trainSet.x, trainSet.y);
      const valSet =
        validation.size > 0 ? datasetTensors(validation, contract, vocabulary) : undefined;
      if (valSet) tensors.push(valSet.x, valSet.y);
      const history: EpochMetrics[] = [];
      const result = await trainModel(model, trainSet, {
        epochs: spec.epochs,
        batchSize: spec.batchSize,
        learningRate: spec.learningRate,
        optimizer: { name: spec.optimizer },
        seed: spec.seed,
        validation: valSet,
        earlyStopping:
          spec.earlyStoppingPatience > 0 && valSet
            ? { patience: spec.earlyStoppingPatience, monitor: 'val_loss' }
            : undefined,
        initialEpoch: Math.min(resume, spec.epochs),
        shouldStop: () => ctx.cancelled,
        onEpochEnd: async (m) => {
          history.push(m);
          await run.reportEpoch({ ...m }, spec.epochs, { from: 0, to: 0.95 });
        },
        onCheckpoint: (epoch, buffers) =>
          run.checkpoint(epoch + 1, buffers, { epochsDone: epoch + 1 }),
      });
      return {
        model,
        stoppedBy: result.stoppedBy,
        history,
        resumedEpochs: resume,
        test: { dataset: test, contract, vocabulary },
        entry: pretrainEntry(spec, ctx.jobId, { train, contract, vocabulary }, result, history),
      };
    } catch (error) {
      model.dispose();
      throw error;
    } finally {
      tf.dispose(tensors);
    }
  }
}
