import type * as tf from '@tensorflow/tfjs';
import type { Dataset, Vocabulary } from '../ml/data';
import { loadModelFromBuffers } from '../ml/io/buffers';
import type { EpochMetrics, StopReason } from '../ml/train/trainer';
import { buildZooModel } from '../ml/zoo/zoo';
import type { InputContract } from '../registry/core/encode';
import type { NewModel } from '../registry/model-registry.port';
import type { PretrainSpec } from './core/training-specs';
import type { TrainingRun } from './training-job';
import { preprocessingFor } from './training-support';

/** Resumable state: epochs whose model is stored in that checkpoint slot (ml/io/checkpoint). */
export interface PretrainCheckpoint {
  epochsDone: number;
}

export function isPretrainCheckpoint(v: unknown): v is PretrainCheckpoint {
  return (
    typeof v === 'object' && v !== null && Number.isInteger((v as PretrainCheckpoint).epochsDone)
  );
}

/** The input contract a model trained from scratch on `train` gets. */
export function contractFor(train: Dataset, spec: PretrainSpec): InputContract {
  const inputs = train.inputs;
  return {
    inputKind: train.kind,
    inputShape:
      inputs.kind === 'image'
        ? [inputs.shape.height, inputs.shape.width, inputs.shape.channels]
        : inputs.kind === 'tabular'
          ? [inputs.featureNames.length]
          : [spec.sequenceLength],
    featureNames: inputs.kind === 'tabular' ? inputs.featureNames : null,
    preprocessing: preprocessingFor(train, { sequenceLength: spec.sequenceLength }),
  };
}

/**
 * The model a pretrain attempt starts from: the checkpoint after `resume` epochs of an earlier
 * attempt, else a fresh zoo model of the spec's architecture (seeded weights).
 */
export async function startingModel(
  spec: PretrainSpec,
  run: TrainingRun,
  resume: number,
  shape: { inputShape: number[]; numClasses: number; vocabulary?: Vocabulary },
): Promise<tf.LayersModel> {
  if (resume > 0) {
    const saved = await run.readWeights(resume);
    const model = await loadModelFromBuffers(saved.modelJson, saved.weights);
    await run.ctx.log(`resuming from the checkpoint after epoch ${resume}`);
    return model;
  }
  return buildZooModel(spec.architecture, {
    inputShape: shape.inputShape,
    numClasses: shape.numClasses,
    seed: spec.seed,
    width: spec.width ?? undefined,
    hidden: spec.hidden ?? undefined,
    vocabSize: shape.vocabulary?.size,
    embeddingDim: spec.embeddingDim ?? undefined,
    lstmUnits: spec.lstmUnits ?? undefined,
  });
}

/** What a pretrain job registers: the architecture, the input contract it was trained with. */
export function pretrainEntry(
  spec: PretrainSpec,
  jobId: string,
  inputs: { train: Dataset; contract: InputContract; vocabulary?: Vocabulary },
  result: { stoppedBy: StopReason; bestEpoch?: number; threads?: number; shards?: number },
  history: readonly EpochMetrics[],
): Omit<NewModel, 'evaluation'> {
  const { train, contract, vocabulary } = inputs;
  return {
    name: spec.name ?? `${spec.architecture}-${jobId.slice(0, 8)}`,
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
      // Shards per batch fix the result; threads only the speed (docs/ml.md).
      threads: result.threads ?? 1,
      shards: result.shards ?? 1,
    },
  };
}
