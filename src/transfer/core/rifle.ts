import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../platform/core/rng';
import type { LrSchedule } from '../../ml/train/schedules';

/**
 * RIFLE (Li et al., ICML 2020, "RIFLE: Backpropagation in Depth for Deep Transfer Learning through
 * Re-Initializing the Fully-connected LayEr"): the first `fraction` of training is cut into
 * `periods` equal periods and the classifier head is re-initialised at the end of each, so the
 * random head keeps sending large gradients deep into the backbone; the rest of training is plain
 * fine-tuning with the last fresh head.
 */
export interface RifleOptions {
  /** Length of training in the unit the schedule counts (optimizer steps, or epochs). */
  total: number;
  /** K, the number of re-initialisations. 0 turns RIFLE off. */
  periods: number;
  /** Share of training, in (0, 1), over which the K periods run. */
  fraction: number;
}

/**
 * The head's cyclic learning rate of the RIFLE authors' code (lixingjian/RIFLE train.py,
 * `--fc_lr_util cyclic`): a cosine decay from `lr` that restarts at every re-initialisation, so
 * each fresh head is trained from the full rate instead of the tail of one global decay. The
 * segments are [0, p1), [p1, p2), ..., [pK, total); within [a, b) the rate is
 * lr * (1 + cos(pi * (step - a) / (b - a))) / 2.
 */
export function cyclicHeadLr(points: readonly number[], total: number, lr: number): LrSchedule {
  const bounds = [0, ...points, total];
  return {
    at(step: number): number {
      let i = 0;
      while (i + 2 < bounds.length && step >= bounds[i + 1]) i++;
      const [a, b] = [bounds[i], bounds[i + 1]];
      return (lr * (1 + Math.cos((Math.PI * Math.min(step - a, b - a)) / (b - a)))) / 2;
    },
  };
}

/**
 * The 1-based positions (completed steps or epochs) after which the head is re-initialised:
 * round(k * floor(fraction * total) / K) for k = 1..K, strictly increasing, all within the first
 * `fraction` of training and never in the final part.
 */
export function rifleReinitPoints(options: RifleOptions): number[] {
  const { total, periods, fraction } = options;
  if (!Number.isInteger(total) || total < 1) {
    throw new RangeError(`total must be an integer >= 1, got ${total}`);
  }
  if (!Number.isInteger(periods) || periods < 0) {
    throw new RangeError(`periods must be an integer >= 0, got ${periods}`);
  }
  if (!Number.isFinite(fraction) || fraction <= 0 || fraction >= 1) {
    throw new RangeError(`fraction must be in (0, 1), got ${fraction}`);
  }
  const phase = Math.floor(fraction * total);
  if (periods > phase) {
    throw new RangeError(
      `periods (${periods}) exceeds the ${phase} units in the first ${fraction} of ${total}`,
    );
  }
  const points: number[] = [];
  for (let k = 1; k <= periods; k++) points.push(Math.round((k * phase) / periods));
  return points;
}

/**
 * Re-initialise every weight of `layer` in place, deterministically from `rng`: kernels from
 * Glorot-uniform (the TF.js and Keras default for Dense/Conv kernels), vectors (biases) to zero.
 */
export function reinitializeLayer(layer: tf.layers.Layer, rng: Rng): void {
  const fresh = layer.weights.map((w) => {
    const shape = w.shape.map((d, i) => {
      if (d === null) throw new RangeError(`${layer.name}: weight ${w.name} has unknown dim ${i}`);
      return d;
    });
    const size = shape.reduce((a, b) => a * b, 1);
    if (shape.length < 2) return tf.zeros(shape);
    const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const fanIn = shape[shape.length - 2] * receptive;
    const fanOut = shape[shape.length - 1] * receptive;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = rng.uniform(-limit, limit);
    return tf.tensor(values, shape);
  });
  layer.setWeights(fresh);
  tf.dispose(fresh);
}

/**
 * Applies a RIFLE schedule in a training loop: call `afterStep(step)` after each completed
 * optimizer step (1-based); it re-initialises the head layers when `step` is a scheduled point and
 * says whether it did.
 */
export class RifleHeadResetter {
  readonly points: readonly number[];
  private readonly pending: Set<number>;

  constructor(
    private readonly head: readonly tf.layers.Layer[],
    options: RifleOptions,
    private readonly rng: Rng,
  ) {
    if (head.length === 0) throw new RangeError('head must name at least one layer');
    this.points = rifleReinitPoints(options);
    this.pending = new Set(this.points);
  }

  afterStep(step: number): boolean {
    if (!this.pending.has(step)) return false;
    this.pending.delete(step);
    for (const layer of this.head) reinitializeLayer(layer, this.rng);
    return true;
  }
}
