import * as tf from '@tensorflow/tfjs';
import { Dataset, normalisationStats, Vocabulary } from '../ml/data';
import { evaluate, Evaluation } from '../ml/train/evaluate';
import { EpochMetrics } from '../ml/train/trainer';
import type { JobContext } from '../platform/jobs/job-handler';
import { datasetTensors, InputContract } from '../registry/core/encode';
import { Preprocessing } from '../registry/core/model-meta';

/** Evaluation as stored in the registry: NaN (class never predicted/present) becomes null. */
export interface StoredEvaluation {
  split: 'test';
  count: number;
  loss: number;
  accuracy: number;
  classNames: string[];
  precision: (number | null)[];
  recall: (number | null)[];
  /** confusion[true][predicted]. */
  confusion: number[][];
}

export function storedEvaluation(e: Evaluation, classNames: readonly string[]): StoredEvaluation {
  const clean = (xs: number[]): (number | null)[] => xs.map((x) => (Number.isFinite(x) ? x : null));
  return {
    split: 'test',
    count: e.count,
    loss: e.loss,
    accuracy: e.accuracy,
    classNames: [...classNames],
    precision: clean(e.precision),
    recall: clean(e.recall),
    confusion: e.confusion,
  };
}

/** Evaluates on the test split (null when it is empty). */
export function evaluateOn(
  model: tf.LayersModel,
  test: Dataset,
  contract: InputContract,
  vocabulary?: Vocabulary,
): StoredEvaluation | null {
  if (test.size === 0) return null;
  const { x, y } = datasetTensors(test, contract, vocabulary);
  try {
    return storedEvaluation(
      evaluate(model, x, y, { numClasses: test.numClasses }),
      test.classNames,
    );
  } finally {
    tf.dispose([x, y]);
  }
}

/** Preprocessing a freshly trained model gets from its training split. */
export function preprocessingFor(
  train: Dataset,
  options: { sequenceLength: number },
): Preprocessing {
  if (train.kind === 'tabular') {
    const stats = normalisationStats(train);
    return { normalise: { mean: stats.mean, std: stats.std } };
  }
  if (train.kind === 'text') return { sequenceLength: options.sequenceLength };
  return {};
}

/** Reports one epoch: metrics (idempotent per step), a log line and the progress fraction. */
export async function reportEpoch(
  ctx: JobContext,
  m: EpochMetrics & Record<string, unknown>,
  epochs: number,
  offset: { from: number; to: number } = { from: 0, to: 1 },
): Promise<void> {
  for (const [name, value] of Object.entries(m)) {
    if (name === 'epoch' || typeof value !== 'number') continue;
    await ctx.metric(name, m.epoch, value);
  }
  const fraction = offset.from + ((m.epoch + 1) / epochs) * (offset.to - offset.from);
  const val = m.val_accuracy === undefined ? '' : `, val_accuracy ${m.val_accuracy.toFixed(4)}`;
  await ctx.progress(fraction, `epoch ${m.epoch + 1}/${epochs}: loss ${m.loss.toFixed(4)}${val}`);
}
