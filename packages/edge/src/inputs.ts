import * as tf from '@tensorflow/tfjs';
import type { InputContract } from './bundle';

/**
 * One instance as the model's contract takes it: an image as HWC pixels in [0, 1] (a
 * Float32Array, a number array or a tensor of the input shape); a tabular row as raw feature
 * values (normalised here with the contract's z-score).
 */
export type EdgeInput = Float32Array | readonly number[] | tf.Tensor;

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A [n, ...shape] batch of the instances, checked against the contract. */
export function inputBatch(contract: InputContract, inputs: readonly EdgeInput[]): tf.Tensor {
  if (contract.kind === 'text') {
    throw new Error('text models are not supported on device yet (no tokenizer in the library)');
  }
  const size = product(contract.shape);
  return tf.tidy(() => {
    const rows = inputs.map((input, i) => {
      const t = input instanceof tf.Tensor ? input : tf.tensor(input as number[]);
      if (t.size !== size) {
        throw new RangeError(
          `input ${i} has ${t.size} values; the model takes [${contract.shape}] (${size})`,
        );
      }
      return t.reshape(contract.shape);
    });
    const batch = tf.stack(rows).toFloat();
    const norm = contract.preprocessing.normalise;
    if (contract.kind === 'tabular' && norm) {
      const std = norm.std.map((s) => (s > 0 ? s : 1));
      return batch.sub(tf.tensor1d(norm.mean)).div(tf.tensor1d(std));
    }
    return batch;
  });
}
