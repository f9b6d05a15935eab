import * as tf from '@tensorflow/tfjs';

/**
 * Loads the weights the main thread published (model.weights order, concatenated) into a
 * replica's model. Each is a copy: a tensor must not alias shared memory the main thread
 * rewrites for the next step. Call inside tf.tidy.
 */
export function assignPublishedWeights(
  weights: readonly tf.Variable[],
  published: Float32Array,
): void {
  let offset = 0;
  for (const w of weights) {
    w.assign(tf.tensor(published.slice(offset, offset + w.size), w.shape, w.dtype));
    offset += w.size;
  }
}
