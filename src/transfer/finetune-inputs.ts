import * as tf from '@tensorflow/tfjs';
import { Dataset, ImageAugmenter, Vocabulary } from '../ml/data';
import type { TrainSet } from '../ml/train/trainer';
import { ValidationError } from '../platform/errors/domain-error';
import { checkDatasetFits, datasetTensors, InputContract } from '../registry/core/encode';
import { augmentedCopies } from './core/augmented-copies';
import type { FinetuneConfig } from './core/finetune-config';
import type { FinetuneSpec } from './core/training-specs';
import type { FinetuneCheckpoint } from './finetune';
import type { FinetuneDynamics } from './finetune-dynamics';
import type { TrainingRun } from './training-job';

/** Resumable state of a finetune job; the weights (and dynamics so far) are in the slot's artifacts. */
export interface FinetuneJobCheckpoint {
  epochsDone: number;
  attention: number[][] | null;
}

function isCheckpoint(v: unknown): v is FinetuneJobCheckpoint {
  const epochsDone = (v as Partial<FinetuneJobCheckpoint> | null)?.epochsDone;
  return typeof v === 'object' && Number.isInteger(epochsDone) && (epochsDone as number) > 0;
}

/** The training tensors of a finetune job; `dispose` frees them all. */
export interface FinetuneTensors {
  train: TrainSet;
  validation?: TrainSet;
  /** The un-augmented training examples (a view of `train.x`), when dynamics are recorded. */
  originals?: tf.Tensor;
  /** Training examples with the augmented copies. */
  augmentedSize: number;
  dispose(): void;
}

/**
 * The target data encoded with the base model's contract (its normalisation and vocabulary):
 * the training split with `augmentCopies - 1` augmented copies after the originals, and the
 * validation split, which early stopping needs.
 */
export function finetuneTensors(
  spec: FinetuneSpec,
  config: FinetuneConfig,
  splits: { train: Dataset; validation: Dataset },
  contract: InputContract,
  vocabulary?: Vocabulary,
): FinetuneTensors {
  const { train, validation } = splits;
  checkDatasetFits(train, contract);
  const augmented =
    spec.augmentCopies > 1
      ? augmentedCopies(train, new ImageAugmenter(spec.augment), spec.augmentCopies, config.seed)
      : train;
  const tensors: tf.Tensor[] = [];
  const dispose = (): void => tf.dispose(tensors);
  try {
    const trainSet = datasetTensors(augmented, contract, vocabulary);
    tensors.push(trainSet.x, trainSet.y);
    const valSet =
      validation.size > 0 ? datasetTensors(validation, contract, vocabulary) : undefined;
    if (valSet) tensors.push(valSet.x, valSet.y);
    if (config.earlyStoppingPatience > 0 && !valSet) {
      throw ValidationError.field(
        'spec.config.earlyStoppingPatience',
        'the data set has no validation split',
      );
    }
    const originals = spec.recordDynamics ? trainSet.x.slice(0, train.size) : undefined;
    if (originals) tensors.push(originals);
    return {
      train: trainSet,
      validation: valSet,
      originals,
      augmentedSize: augmented.size,
      dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** What an earlier attempt checkpointed (weights, DELTA's attention, dynamics so far), if any. */
export async function finetuneResume(
  run: TrainingRun,
  dynamics: FinetuneDynamics | undefined,
): Promise<FinetuneCheckpoint | undefined> {
  const saved = run.resumeState(isCheckpoint);
  if (!saved) return undefined;
  const { epochsDone, attention } = saved;
  const resume: FinetuneCheckpoint = { epochsDone, weights: await run.readWeights(epochsDone) };
  if (attention) resume.attention = attention;
  await dynamics?.resume(run, epochsDone);
  await run.ctx.log(`resuming from the checkpoint after epoch ${epochsDone}`);
  return resume;
}

/** finetune()'s checkpoint callback for a job: weights (and the dynamics so far) per epoch. */
export function finetuneCheckpointer(
  run: TrainingRun,
  dynamics: FinetuneDynamics | undefined,
): (checkpoint: FinetuneCheckpoint) => Promise<void> {
  return ({ epochsDone, weights, attention }) =>
    run.checkpoint(
      epochsDone,
      weights,
      { epochsDone, attention: attention ?? null } satisfies FinetuneJobCheckpoint,
      dynamics?.checkpointFiles(),
    );
}
