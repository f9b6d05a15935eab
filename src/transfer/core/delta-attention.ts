import * as tf from '@tensorflow/tfjs';

/**
 * DELTA's supervised channel attention (Li et al., ICLR 2019, sec. 3.3, eq. 6), as the authors'
 * code computes it (github.com/lixingjian/DELTA, channel_eval.py and train.py):
 * 1. train a new head on the frozen source backbone (done by the caller);
 * 2. score each channel j of each hooked layer by the increase of the task loss when its filter is
 *    removed: L(w* \ j) - L(w*), averaged over a few training batches;
 * 3. per layer, z-score the scores (population std) and take c * softmax(z / temperature), c
 *    the layer's channel count: the authors multiply the softmax by c in the regulariser
 *    (train.py, reg_att_fea_map), so the weights have mean 1 and a layer weighs by its width.
 * The authors use 4 batches and temperature 5.
 */

/**
 * Step 3: z-score per layer, then c * softmax with temperature. Each returned layer sums to its
 * channel count c (uniform attention is 1 per channel).
 */
export function attentionFromScores(
  scores: readonly (readonly number[])[],
  temperature: number,
): number[][] {
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw new RangeError(`temperature must be a finite number > 0, got ${temperature}`);
  }
  return scores.map((layer, i) => {
    if (layer.length === 0 || layer.some((s) => !Number.isFinite(s))) {
      throw new RangeError(`scores[${i}] must be a non-empty array of finite numbers`);
    }
    const mean = layer.reduce((a, b) => a + b, 0) / layer.length;
    const variance = layer.reduce((a, b) => a + (b - mean) ** 2, 0) / layer.length;
    const std = Math.sqrt(variance);
    // All channels equally important (std 0): the z-scores are all 0 and attention is uniform.
    const z = layer.map((s) => (std > 0 ? (s - mean) / std : 0));
    const logits = z.map((v) => v / temperature);
    const max = Math.max(...logits);
    const exp = logits.map((v) => Math.exp(v - max));
    const total = exp.reduce((a, b) => a + b, 0);
    return exp.map((e) => (layer.length * e) / total);
  });
}

export interface LabelledBatch {
  xs: tf.Tensor;
  ys: tf.Tensor;
}

export type LossFn = (output: tf.Tensor, labels: tf.Tensor) => tf.Scalar;

/**
 * Step 2: for each hooked layer (a Dense or Conv2D layer of `model`, whose kernel's last axis is
 * its output channels, or a BatchNormalization layer) and each channel j, the mean over `batches`
 * of L(w* \ j) - L(w*), where w* \ j has filter j's kernel slice and bias entry set to zero (the
 * authors' ResNet convolutions have no bias; zeroing it too makes the channel's pre-activation
 * exactly zero), or, for batch norm, channel j's gamma and beta (its output is then exactly zero;
 * the moving statistics are left alone). The layer's weights are restored after each channel.
 * Cost: batches x (1 + total channels) forward passes.
 */
export function scoreChannels(
  model: tf.LayersModel,
  hookLayers: readonly string[],
  batches: readonly LabelledBatch[],
  loss: LossFn,
): number[][] {
  if (batches.length === 0) throw new RangeError('scoreChannels needs at least one batch');
  const hooked = hookLayers.map((name) => {
    const layer = model.getLayer(name);
    const live = layer.getWeights();
    const isBatchNorm = layer.getClassName() === 'BatchNormalization';
    if (!isBatchNorm && (live.length === 0 || live.length > 2 || live[0].rank < 2)) {
      throw new RangeError(
        `hook layer ${name} must be a Dense, Conv2D or BatchNormalization layer with weights`,
      );
    }
    return layer;
  });
  // getWeights() returns the live variables; keep copies to restore from.
  const layers = hooked.map((layer) => ({
    layer,
    weights: layer.getWeights().map((w) => w.clone()),
  }));
  const lossOf = (x: tf.Tensor, y: tf.Tensor): number =>
    tf.tidy(() => loss(model.predict(x) as tf.Tensor, y).dataSync()[0]);

  const scores = layers.map(({ weights }) =>
    new Array<number>(weights[0].shape.at(-1) ?? 0).fill(0),
  );
  for (const batch of batches) {
    const base = lossOf(batch.xs, batch.ys);
    layers.forEach(({ layer, weights }, l) => {
      const channels = scores[l].length;
      // Batch norm's moving mean and variance are statistics, not the channel's parameters.
      const statistics = layer.weights.map((w) => /moving_(mean|variance)/.test(w.name));
      for (let c = 0; c < channels; c++) {
        const removed = tf.tidy(() => {
          const keep = tf.sub(1, tf.oneHot(c, channels).toFloat());
          return weights.map((w, i) => (statistics[i] ? w.clone() : tf.mul(w, keep)));
        });
        layer.setWeights(removed);
        tf.dispose(removed);
        scores[l][c] += (lossOf(batch.xs, batch.ys) - base) / batches.length;
      }
      layer.setWeights(weights);
    });
  }
  for (const { weights } of layers) tf.dispose(weights);
  return scores;
}
