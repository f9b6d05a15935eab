import * as tf from '@tensorflow/tfjs';
import { attentiveDistance } from '../../ml/train/shard-gradients';
import { PenaltyInputs, TransferPenalty, requireNonNegative, sumOfSquares } from './penalty';

// The distance lives beside the sharded step, which computes it per shard on worker threads.
export { attentiveDistance };

export interface DeltaPenaltyOptions {
  /** Weight of the attention-weighted feature-map distance. */
  alpha: number;
  /** Weight decay on the new head. */
  beta: number;
  /**
   * Channel attention a_j per hooked layer (`attentionFromScores`: c * softmax, so a layer's
   * weights sum to its channel count c), one array per layer with one entry per channel (the last
   * axis of the layer's output).
   */
  attention: readonly (readonly number[])[];
}

/**
 * DELTA (Li et al., ICLR 2019, "DELTA: DEep Learning Transfer using Feature Map with Attention",
 * eq. 4-5), at the scale of the authors' code (github.com/lixingjian/DELTA, train.py,
 * reg_att_fea_map), so that their alpha means their strength: over the hooked layers,
 *   alpha * 0.5 * sum_batch sum_j a_j ||FM_j(w, x) - FM_j(w*, x)||^2 / (h*w)
 * with a_j = c * softmax (mean 1, see `attentionFromScores`), FM_j channel j of the layer's output
 * on the same batch in the network being trained and in the frozen source network; plus
 * beta/2 ||w_head||^2. Feature maps are NHWC ([n, h, w, c]); a dense output [n, c] counts as
 * h = w = 1. As in the authors' code the distance is summed over the batch while the
 * cross-entropy it is added to is a batch mean, so the effective strength grows with the batch
 * size (theirs: 64).
 */
export class DeltaPenalty implements TransferPenalty {
  readonly name = 'delta';
  readonly needsFeatures = true;
  readonly alpha: number;
  readonly beta: number;
  private readonly attention: tf.Tensor1D[];
  readonly split: NonNullable<TransferPenalty['split']>;

  constructor(options: DeltaPenaltyOptions) {
    requireNonNegative('alpha', options.alpha);
    requireNonNegative('beta', options.beta);
    if (options.attention.length === 0) {
      throw new RangeError('attention must hold one array per hooked layer, got none');
    }
    options.attention.forEach((layer, i) => {
      if (layer.length === 0 || layer.some((a) => !Number.isFinite(a) || a < 0)) {
        throw new RangeError(`attention[${i}] must be non-empty and >= 0, got [${layer}]`);
      }
    });
    this.alpha = options.alpha;
    this.beta = options.beta;
    this.attention = options.attention.map((a) => tf.keep(tf.tensor1d(a.slice())));
    this.split = {
      alpha: this.alpha,
      attention: options.attention.map((a) => a.slice()),
      weightTerm: (inputs) => this.headDecay(inputs.head),
    };
  }

  /** beta/2 ||w_head||^2: the part of the penalty that reads the weights only. */
  private headDecay(head: readonly tf.Tensor[]): tf.Scalar {
    return tf.tidy(() => tf.mul(this.beta / 2, sumOfSquares(head)));
  }

  /** Number of hooked layers this penalty expects. */
  get layers(): number {
    return this.attention.length;
  }

  apply(inputs: PenaltyInputs): tf.Scalar {
    const target = inputs.targetFeatures;
    const source = inputs.sourceFeatures;
    if (!target || !source) throw new RangeError('delta needs targetFeatures and sourceFeatures');
    if (target.length !== this.attention.length || source.length !== this.attention.length) {
      throw new RangeError(
        `delta: built for ${this.attention.length} hooked layers, got ${target.length} target and ${source.length} source feature maps`,
      );
    }
    return tf.tidy(() => {
      let distance: tf.Scalar = tf.scalar(0);
      target.forEach((fmT, j) => {
        distance = tf.add(distance, attentiveDistance(fmT, source[j], this.attention[j], j));
      });
      return tf.add(tf.mul(this.alpha, distance), this.headDecay(inputs.head));
    });
  }

  dispose(): void {
    for (const t of this.attention) t.dispose();
    this.attention.length = 0;
  }
}
