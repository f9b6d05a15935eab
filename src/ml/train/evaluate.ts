import * as tf from '@tensorflow/tfjs';
import { predictInParallel, predictInParallelAsync } from './parallel-predict';
import { ValidationError } from '../../platform/errors/domain-error';

/**
 * Batch size for inference on inputs of `inputShape` (no batch axis): the power of two nearest
 * below 2^16 input values per batch, between tfjs's default of 32 and 1024. Measured on the wasm
 * backend (bench/interpret/explain-speed.ts --batch-sizes): a 28x28x1 small-cnn costs the least
 * CPU per image at 64 (32 pays per-call overhead, 256 leaves the caches), a 30-feature mlp is
 * ~20x cheaper per row at 1024 than at 32; large images keep 32, so their activation memory
 * stays what it was.
 */
export function inferenceBatchSize(inputShape: readonly (number | null)[]): number {
  const values = inputShape.reduce<number>((p, d) => p * Math.max(1, d ?? 1), 1);
  const fit = 2 ** Math.floor(Math.log2(Math.max(1, 2 ** 16 / values)));
  return Math.max(32, Math.min(1024, fit));
}

/**
 * Softmax outputs for `x`, computed batch by batch (bounded memory); the caller disposes it.
 * `model.predict` passes at most inferenceBatchSize examples at once (its own default would
 * re-split every batch into 32s): a batch is one pass for small inputs, and large images keep
 * passes of 32, hence their activation memory.
 */
export function predictBatches(model: tf.LayersModel, x: tf.Tensor, batchSize = 256): tf.Tensor {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw ValidationError.field('batchSize', `must be a positive integer, got ${batchSize}`);
  }
  const pass = inferenceBatchSize(x.shape.slice(1));
  // Over inference replicas on free cores when the worker installed them (parallel-predict.ts).
  const parallel = predictInParallel(model, x, pass);
  if (parallel) return parallel;
  return predictSequentially(model, x, batchSize);
}

/** predictBatches on this thread only: batches of `batchSize`, passes of inferenceBatchSize. */
export function predictSequentially(
  model: tf.LayersModel,
  x: tf.Tensor,
  batchSize = 256,
): tf.Tensor {
  const n = x.shape[0];
  const parts: tf.Tensor[] = [];
  const pass = inferenceBatchSize(x.shape.slice(1));
  try {
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const args = { batchSize: Math.min(size, pass) };
      parts.push(tf.tidy(() => model.predict(x.slice(start, size), args) as tf.Tensor));
    }
    return parts.length === 1 ? parts[0].clone() : tf.concat(parts, 0);
  } finally {
    tf.dispose(parts);
  }
}

/**
 * predictBatches for a caller with work to do before it needs the answer (LIME composing its
 * next perturbations): over inference replicas, their chunks are collected when the promise is
 * awaited, so that work runs beside them (predictInParallelAsync). The same outputs, bitwise.
 */
export function predictBatchesAsync(
  model: tf.LayersModel,
  x: tf.Tensor,
  batchSize = 256,
): Promise<tf.Tensor> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    return Promise.reject(
      ValidationError.field('batchSize', `must be a positive integer, got ${batchSize}`),
    );
  }
  const pending = predictInParallelAsync(model, x, inferenceBatchSize(x.shape.slice(1)));
  if (pending) return pending;
  try {
    return Promise.resolve(predictBatches(model, x, batchSize));
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

export interface Evaluation {
  /** Mean cross-entropy -log p(y) of the predicted distribution. */
  loss: number;
  accuracy: number;
  /** Per class: TP / (TP + FP); NaN when the class is never predicted. */
  precision: number[];
  /** Per class: TP / (TP + FN); NaN when the class never occurs. */
  recall: number[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  count: number;
}

/** Added to probabilities before a log: the losses' one guard against log(0). */
export const EPS = 1e-7;

/** Mean cross-entropy of softmax outputs `probs` [n, k] against integer labels `y` [n]. */
export function crossEntropy(probs: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const k = probs.shape[probs.shape.length - 1];
    const oneHot = tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, k);
    const p = tf.sum(tf.mul(probs, oneHot), -1);
    return tf.neg(tf.mean(tf.log(tf.add(p, EPS)))) as tf.Scalar;
  });
}

/** Accuracy, per-class precision/recall, confusion matrix and loss of `model` on (x, y labels). */
export function evaluate(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  options: { batchSize?: number; numClasses?: number } = {},
): Evaluation {
  if (x.shape[0] !== y.shape[0]) {
    throw ValidationError.field('y', `has ${y.shape[0]} labels for ${x.shape[0]} examples`);
  }
  const probs = predictBatches(model, x, options.batchSize ?? 256);
  try {
    const k = options.numClasses ?? probs.shape[probs.shape.length - 1];
    const loss = tf.tidy(() => crossEntropy(probs, y).dataSync()[0]);
    const predicted = tf.tidy(() => tf.argMax(probs, -1).dataSync());
    const truth = y.dataSync();
    const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    let correct = 0;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i];
      const p = predicted[i];
      if (!Number.isInteger(t) || t < 0 || t >= k) {
        throw ValidationError.field(`y[${i}]`, `label ${t} outside [0, ${k})`);
      }
      confusion[t][p] += 1;
      if (t === p) correct += 1;
    }
    const precision = confusion.map((_, c) => {
      const col = confusion.reduce((s, row) => s + row[c], 0);
      return col === 0 ? NaN : confusion[c][c] / col;
    });
    const recall = confusion.map((row, c) => {
      const total = row.reduce((s, v) => s + v, 0);
      return total === 0 ? NaN : row[c] / total;
    });
    return {
      loss,
      accuracy: truth.length === 0 ? NaN : correct / truth.length,
      precision,
      recall,
      confusion,
      count: truth.length,
    };
  } finally {
    probs.dispose();
  }
}
