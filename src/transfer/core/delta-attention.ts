import type * as tf from '@tensorflow/tfjs';
import { type LabelledBatch, type LossFn } from '../../ml/train/channel-ablation';
import { channelAblationLosses } from '../../ml/train/parallel-ablation';
import type { TrainingThreads } from '../../ml/train/parallel';

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

export type { LabelledBatch, LossFn } from '../../ml/train/channel-ablation';

/**
 * Step 2: for each hooked layer (a Dense or Conv2D layer of `model`, whose kernel's last axis is
 * its output channels, or a BatchNormalization layer) and each channel j, the mean over `batches`
 * of L(w* \ j) - L(w*), where w* \ j has filter j's kernel slice and bias entry set to zero (the
 * authors' ResNet convolutions have no bias; zeroing it too makes the channel's pre-activation
 * exactly zero), or, for batch norm, channel j's gamma and beta (its output is then exactly zero;
 * the moving statistics are left alone): ChannelAblation (src/ml/train/channel-ablation.ts). The
 * model is restored afterwards. Cost: batches x (1 + total channels) forward passes, split over
 * the job's threads by channel when `loss` is 'cross-entropy' (channelAblationLosses, as
 * training's threads); each channel's score sums its batches in order in float64 whatever the
 * thread, so the scores are the same bits on any number of threads.
 */
export async function scoreChannels(
  model: tf.LayersModel,
  hookLayers: readonly string[],
  batches: readonly LabelledBatch[],
  loss: LossFn | 'cross-entropy',
  options: { threads?: TrainingThreads } = {},
): Promise<number[][]> {
  if (batches.length === 0) throw new RangeError('scoreChannels needs at least one batch');
  const { base, losses, channels } = await channelAblationLosses(
    model,
    hookLayers,
    batches,
    loss,
    options,
  );
  const nb = batches.length;
  let unit = 0;
  return channels.map((count) =>
    Array.from({ length: count }, () => {
      let score = 0;
      for (let b = 0; b < nb; b++) score += (losses[unit * nb + b] - base[b]) / nb;
      unit++;
      return score;
    }),
  );
}
