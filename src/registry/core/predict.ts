import * as tf from '@tensorflow/tfjs';
import type { Vocabulary } from '../../ml/data';
import { inferenceBatchSize, predictBatches, predictBatchesAsync } from '../../ml/train/evaluate';
import { UnprocessableError } from '../../platform/errors/domain-error';
import { InputContract, inputTensor, parseInstances } from './encode';

/** Predict requests: at most this many instances. */
export const PREDICT_MAX_BATCH = 1024;

export interface Prediction {
  label: string;
  classIndex: number;
  probabilities: Record<string, number>;
}

/** A model's input contract, as stored on its registry row. */
export function contractOf(model: InputContract): InputContract {
  return {
    inputKind: model.inputKind,
    inputShape: model.inputShape,
    featureNames: model.featureNames,
    preprocessing: model.preprocessing,
  };
}

/** Softmax outputs of a model for validated instances, in batches sized for throughput. */
export function predictProbabilities(
  model: tf.LayersModel,
  contract: InputContract,
  instances: {
    images?: readonly Float32Array[];
    rows?: readonly (readonly number[])[];
    texts?: readonly string[];
  },
  vocabulary?: Vocabulary,
): number[][] {
  return tf.tidy(() => {
    const x = inputTensor(contract, instances, vocabulary);
    const y = predictBatches(model, x, inferenceBatchSize(model.inputs[0].shape.slice(1)));
    return y.arraySync() as number[][];
  });
}

/**
 * The same for a caller with work to do before it needs the answer (LIME's next perturbations):
 * over inference replicas that work runs beside them (predictBatchesAsync). The same outputs.
 */
export async function predictProbabilitiesAsync(
  model: tf.LayersModel,
  contract: InputContract,
  instances: Parameters<typeof predictProbabilities>[2],
  vocabulary?: Vocabulary,
): Promise<number[][]> {
  // The input is read while the call starts (its rows copied to the replicas, the main thread's
  // chunk predicted): only the answer outlives the call.
  const x = tf.tidy(() => inputTensor(contract, instances, vocabulary));
  let pending: Promise<tf.Tensor>;
  try {
    pending = predictBatchesAsync(model, x, inferenceBatchSize(model.inputs[0].shape.slice(1)));
  } finally {
    x.dispose();
  }
  const y = await pending;
  try {
    return y.arraySync() as number[][];
  } finally {
    y.dispose();
  }
}

/** Raw instances of a predict request, checked against the contract and the batch limit. */
export function predictInstances(
  contract: InputContract,
  body: { images?: unknown[]; rows?: unknown[]; texts?: unknown[] },
): ReturnType<typeof parseInstances> {
  const instances = parseInstances(contract, body);
  if (instances.count > PREDICT_MAX_BATCH) {
    throw new UnprocessableError(`at most ${PREDICT_MAX_BATCH} instances per request`, [
      {
        field:
          contract.inputKind === 'image'
            ? 'images'
            : contract.inputKind === 'tabular'
              ? 'rows'
              : 'texts',
        message: `${instances.count} > ${PREDICT_MAX_BATCH}`,
      },
    ]);
  }
  return instances;
}

/** The most probable class of each output row, with every class's probability. */
export function toPredictions(probs: number[][], classNames: readonly string[]): Prediction[] {
  return probs.map((p) => {
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
    // fromEntries: a class called __proto__ stays an own key (class names are user data).
    const probabilities = Object.fromEntries(classNames.map((n, k) => [n, p[k]]));
    return { label: classNames[best], classIndex: best, probabilities };
  });
}
