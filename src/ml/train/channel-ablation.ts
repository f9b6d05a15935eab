import * as tf from '@tensorflow/tfjs';

/**
 * Channel ablation (DELTA's supervised channel scoring, src/transfer/core/delta-attention.ts):
 * the loss of a model with one output channel of a hooked layer removed. The same code runs on
 * the main thread and on the ablation replicas (parallel-ablation.ts), so that a channel's loss
 * is the same bits on whichever thread computes it.
 */

export interface LabelledBatch {
  xs: tf.Tensor;
  ys: tf.Tensor;
}

export type LossFn = (output: tf.Tensor, labels: tf.Tensor) => tf.Scalar;

/** The loss of `model` on one batch, as a number (the scalar's float32 value). */
export function batchLoss(model: tf.LayersModel, batch: LabelledBatch, loss: LossFn): number {
  return tf.tidy(() => loss(model.predict(batch.xs) as tf.Tensor, batch.ys).dataSync()[0]);
}

/**
 * The hooked layers of a model and their channels, numbered as units: unit u is channel c of
 * hooked layer l, layers in `hookLayers` order, channels ascending. `remove(u)` sets the model to
 * w* \ u: filter c's kernel slice and bias entry zeroed (a Dense or Conv2D layer, whose kernel's
 * last axis is its output channels), or, for batch norm, channel c's gamma and beta (its output
 * is then exactly zero; the moving statistics are left alone). Only one unit is removed at a
 * time; `restore()` puts the hooked layers back. Holds copies of the hooked weights until
 * `dispose()`.
 */
export class ChannelAblation {
  /** Channels of each hooked layer. */
  readonly channels: number[];
  private readonly layers: {
    layer: tf.layers.Layer;
    weights: tf.Tensor[];
    statistics: boolean[];
  }[];
  /** First unit of each layer. */
  private readonly firstUnit: number[];
  /** The layer holding a removed channel now (-1: none). */
  private touched = -1;

  constructor(
    model: tf.LayersModel,
    readonly hookLayers: readonly string[],
  ) {
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
    // getWeights() returns the live variables; keep copies to restore from. Batch norm's moving
    // mean and variance are statistics, not the channel's parameters.
    this.layers = hooked.map((layer) => ({
      layer,
      weights: layer.getWeights().map((w) => w.clone()),
      statistics: layer.weights.map((w) => /moving_(mean|variance)/.test(w.name)),
    }));
    this.channels = this.layers.map(({ weights }) => weights[0].shape.at(-1) ?? 0);
    let at = 0;
    this.firstUnit = this.channels.map((c) => {
      const first = at;
      at += c;
      return first;
    });
  }

  /** Units over all hooked layers (the sum of their channels). */
  get units(): number {
    return this.channels.reduce((a, c) => a + c, 0);
  }

  /** [layer, channel] of unit u. */
  unit(u: number): [number, number] {
    let l = this.channels.length - 1;
    while (l > 0 && this.firstUnit[l] > u) l--;
    return [l, u - this.firstUnit[l]];
  }

  /** Sets the model to w* \ u (the other hooked layers as they were). */
  remove(u: number): void {
    const [l, c] = this.unit(u);
    if (this.touched >= 0 && this.touched !== l) this.restore();
    const { layer, weights, statistics } = this.layers[l];
    const channels = this.channels[l];
    const removed = tf.tidy(() => {
      const keep = tf.sub(1, tf.oneHot(c, channels).toFloat());
      return weights.map((w, i) => (statistics[i] ? w.clone() : tf.mul(w, keep)));
    });
    layer.setWeights(removed);
    tf.dispose(removed);
    this.touched = l;
  }

  /** Puts the hooked layer back (after `remove`). */
  restore(): void {
    if (this.touched < 0) return;
    const { layer, weights } = this.layers[this.touched];
    layer.setWeights(weights);
    this.touched = -1;
  }

  dispose(): void {
    this.restore();
    for (const { weights } of this.layers) tf.dispose(weights);
  }
}

/**
 * Writes L(w* \ u) of each batch into `out` from `at` (batch order), with `ablation` over `model`.
 */
export function unitLosses(
  ablation: ChannelAblation,
  model: tf.LayersModel,
  u: number,
  batches: readonly LabelledBatch[],
  loss: LossFn,
  out: Float32Array,
  at: number,
): void {
  ablation.remove(u);
  batches.forEach((batch, b) => {
    out[at + b] = batchLoss(model, batch, loss);
  });
}

/**
 * The loss of every batch with each unit of [from, from + count) removed in turn: entry
 * (u - from) * batches.length + b is L(w* \ u) on batch b. The model is restored afterwards.
 * Cost: count x batches forward passes.
 */
export function ablationLosses(
  model: tf.LayersModel,
  hookLayers: readonly string[],
  batches: readonly LabelledBatch[],
  loss: LossFn,
  from: number,
  count: number,
): Float32Array {
  const ablation = new ChannelAblation(model, hookLayers);
  const out = new Float32Array(count * batches.length);
  try {
    for (let u = from; u < from + count; u++) {
      unitLosses(ablation, model, u, batches, loss, out, (u - from) * batches.length);
    }
  } finally {
    ablation.dispose();
  }
  return out;
}
