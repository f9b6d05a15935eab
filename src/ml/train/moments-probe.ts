import * as tf from '@tensorflow/tfjs';

/**
 * A model from `model`'s input to the per-example moments of one layer's input, channel by
 * channel (the last axis): row i is [mean over the spatial positions of x_c, ..., mean of
 * x_c^2, ...], 2c values. Standard layers only (global average pooling, multiply, concatenate),
 * so an inference replica rebuilds it from the model's topology, and its output is one [n, 2c]
 * matrix whose rows are independent: the batch's moments are exact sums over rows, whichever
 * thread predicted them (batch-norm re-estimation, src/transfer/batch-norm-statistics.ts).
 */
export function momentsProbe(model: tf.LayersModel, layerName: string): tf.LayersModel {
  const input = model.getLayer(layerName).input as tf.SymbolicTensor;
  const rank = input.shape.length;
  if (rank < 2 || rank > 4)
    throw new RangeError(`${layerName}: its input [${input.shape}] is not [n, (h, (w,)) c]`);
  // multiply([t, t]) would list one tensor twice among a layer's inputs, which tfjs-layers'
  // executor frees after its first use: square a same-shape reshape of it instead.
  const copy = tf.layers.reshape({ targetShape: input.shape.slice(1) as number[] }).apply(input);
  const squared = tf.layers
    .multiply()
    .apply([input, copy as tf.SymbolicTensor]) as tf.SymbolicTensor;
  const pool = (t: tf.SymbolicTensor): tf.SymbolicTensor =>
    rank === 2
      ? t
      : ((rank === 3
          ? tf.layers.globalAveragePooling1d({})
          : tf.layers.globalAveragePooling2d({})
        ).apply(t) as tf.SymbolicTensor);
  const moments = tf.layers.concatenate({ axis: -1 }).apply([pool(input), pool(squared)]);
  return tf.model({ inputs: model.inputs, outputs: moments as tf.SymbolicTensor });
}

/**
 * Mean and biased variance per channel from the probe's rows ([n, 2c], row-major): sums over
 * the rows in row order in float64 (every row covers the same number of positions, so the
 * batch's moments are the means of the rows'), variance = E[x^2] - E[x]^2 (clamped at 0). Its
 * float32 rounding error is about 1e-7 x E[x^2], i.e. relative to the variance
 * 1e-7 x (1 + mean^2 / variance): fine for a layer's pre-normalisation activations.
 */
export function combineMoments(
  rows: Float32Array,
  n: number,
  channels: number,
): { mean: Float32Array; variance: Float32Array } {
  const sum = new Float64Array(channels);
  const squares = new Float64Array(channels);
  for (let i = 0; i < n; i++) {
    const at = i * 2 * channels;
    for (let c = 0; c < channels; c++) {
      sum[c] += rows[at + c];
      squares[c] += rows[at + channels + c];
    }
  }
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const m = sum[c] / n;
    mean[c] = m;
    variance[c] = Math.max(0, squares[c] / n - m * m);
  }
  return { mean, variance };
}
