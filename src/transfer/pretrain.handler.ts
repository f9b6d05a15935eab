import { Injectable } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { Vocabulary } from '../ml/data';
import { loadModelFromBuffers } from '../ml/io/buffers';
import { readModelCheckpoint, storeModelCheckpoint } from '../ml/io/checkpoint';
import { buildZooModel } from '../ml/zoo/zoo';
import { EpochMetrics, trainModel } from '../ml/train/trainer';
import {
  JobCancelledError,
  JobContext,
  JobHandler,
  SpecReference,
} from '../platform/jobs/job-handler';
import { splitsOf } from '../datasets/core/dataset-codec';
import { datasetTensors, InputContract } from '../registry/core/encode';
import { PretrainSpec, validatePretrainSpec } from './core/training-specs';
import { DatasetsService } from '../datasets/datasets.service';
import { ModelsService } from '../registry/models.service';
import { TfRuntime } from '../ml/tf-runtime';
import { evaluateOn, preprocessingFor, reportEpoch } from './training-support';

/** Resumable state: epochs whose model is stored in that checkpoint slot (ml/io/checkpoint). */
interface PretrainCheckpoint {
  epochsDone: number;
}

function isCheckpoint(v: unknown): v is PretrainCheckpoint {
  return (
    typeof v === 'object' && v !== null && Number.isInteger((v as PretrainCheckpoint).epochsDone)
  );
}

/**
 * `pretrain`: trains a zoo architecture on a registered data set (AutLearn's "cloud pretraining
 * on public data") and registers the model. Every epoch stores the weights as checkpoint
 * artifacts; a re-queued attempt continues from the last stored epoch. The optimizer state
 * (Adam moments) is not checkpointed and restarts, as Keras' ModelCheckpoint with
 * save_weights_only does.
 */
@Injectable()
export class PretrainHandler implements JobHandler<PretrainSpec, Record<string, unknown>> {
  readonly kind = 'pretrain';
  readonly references: readonly SpecReference[] = [{ field: 'dataset', kind: 'dataset' }];

  constructor(
    private readonly datasets: DatasetsService,
    private readonly models: ModelsService,
    private readonly tfRuntime: TfRuntime,
  ) {}

  validate(spec: unknown): PretrainSpec {
    return validatePretrainSpec(spec);
  }

  async run(spec: PretrainSpec, ctx: JobContext): Promise<Record<string, unknown>> {
    const backend = await this.tfRuntime.ready();
    const done = await this.models.findByJob(ctx.projectId, ctx.jobId);
    if (done) return { modelId: done.id, backend, resumed: true };
    const stored = await this.datasets.load(ctx.projectId, spec.dataset);
    const { train, validation, test } = splitsOf(stored);
    const name = spec.name ?? `${spec.architecture}-${ctx.jobId.slice(0, 8)}`;
    const vocabulary =
      train.inputs.kind === 'text'
        ? Vocabulary.build(train.inputs.texts, { maxWords: spec.maxWords })
        : undefined;
    const inputs = train.inputs;
    const inputShape =
      inputs.kind === 'image'
        ? [inputs.shape.height, inputs.shape.width, inputs.shape.channels]
        : inputs.kind === 'tabular'
          ? [inputs.featureNames.length]
          : [spec.sequenceLength];
    const contract: InputContract = {
      inputKind: train.kind,
      inputShape,
      featureNames: inputs.kind === 'tabular' ? inputs.featureNames : null,
      preprocessing: preprocessingFor(train, { sequenceLength: spec.sequenceLength }),
    };

    const resume = isCheckpoint(ctx.resumeFrom) ? ctx.resumeFrom.epochsDone : 0;
    let model: tf.LayersModel;
    if (resume > 0) {
      const saved = await readModelCheckpoint(ctx, resume);
      model = await loadModelFromBuffers(saved.modelJson, saved.weights);
      await ctx.log(`resuming from the checkpoint after epoch ${resume}`);
    } else {
      model = buildZooModel(spec.architecture, {
        inputShape,
        numClasses: train.numClasses,
        seed: spec.seed,
        width: spec.width ?? undefined,
        hidden: spec.hidden ?? undefined,
        vocabSize: vocabulary?.size,
        embeddingDim: spec.embeddingDim ?? undefined,
        lstmUnits: spec.lstmUnits ?? undefined,
      });
    }
    const trainSet = datasetTensors(train, contract, vocabulary);
    const valSet =
      validation.size > 0 ? datasetTensors(validation, contract, vocabulary) : undefined;
    try {
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
          await reportEpoch(ctx, { ...m }, spec.epochs, { from: 0, to: 0.95 });
        },
        onCheckpoint: async (epoch, buffers) => {
          await storeModelCheckpoint(ctx, epoch + 1, buffers);
          await ctx.checkpoint({ epochsDone: epoch + 1 } satisfies PretrainCheckpoint);
        },
      });
      if (result.stoppedBy === 'cancelled') throw new JobCancelledError();
      const evaluation = evaluateOn(model, test, contract, vocabulary);
      const entity = await this.models.registerFromJob(ctx, model, {
        name,
        architecture: spec.architecture,
        inputKind: train.kind,
        classNames: [...train.classNames],
        featureNames: contract.featureNames ? [...contract.featureNames] : null,
        preprocessing: contract.preprocessing,
        vocabulary,
        datasetId: spec.dataset,
        method: 'pretrain',
        metrics: {
          history,
          stoppedBy: result.stoppedBy,
          bestEpoch: result.bestEpoch ?? null,
          backend,
        },
        evaluation: evaluation ? { ...evaluation } : null,
      });
      await ctx.progress(1, `registered model ${entity.name}`);
      return {
        modelId: entity.id,
        modelName: entity.name,
        backend,
        epochs: history.length + resume,
        resumedFromEpoch: resume > 0 ? resume : null,
        stoppedBy: result.stoppedBy,
        final: history[history.length - 1] ?? null,
        testAccuracy: evaluation?.accuracy ?? null,
      };
    } finally {
      tf.dispose([trainSet.x, trainSet.y, ...(valSet ? [valSet.x, valSet.y] : [])]);
      model.dispose();
    }
  }
}
