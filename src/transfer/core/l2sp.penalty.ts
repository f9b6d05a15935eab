import * as tf from '@tensorflow/tfjs';
import { PenaltyInputs, TransferPenalty, requireNonNegative, sumOfSquares } from './penalty';

export interface L2SpPenaltyOptions {
  /** Strength of the pull towards the starting point on the shared weights. */
  alpha: number;
  /** Weight decay on the new head. */
  beta: number;
  /** The pretrained values w_S^0 of the shared weights, in the order of `PenaltyInputs.backbone`. */
  sourceWeights: readonly tf.Tensor[];
}

/**
 * L2-SP (Li, Grandvalet & Davoine, ICML 2018, "Explicit Inductive Bias for Transfer Learning with
 * Convolutional Networks", eq. 3): Omega(w) = alpha/2 ||w_S - w_S^0||^2 + beta/2 ||w_head||^2.
 * The starting point w_S^0 is copied at construction, so later updates of the model do not move it.
 */
export class L2SpPenalty implements TransferPenalty {
  readonly name = 'l2sp';
  readonly needsFeatures = false;
  readonly alpha: number;
  readonly beta: number;
  private readonly reference: tf.Tensor[];

  constructor(options: L2SpPenaltyOptions) {
    requireNonNegative('alpha', options.alpha);
    requireNonNegative('beta', options.beta);
    this.alpha = options.alpha;
    this.beta = options.beta;
    this.reference = options.sourceWeights.map((w) => tf.keep(w.clone()));
  }

  apply(inputs: PenaltyInputs): tf.Scalar {
    if (inputs.backbone.length !== this.reference.length) {
      throw new RangeError(
        `l2sp: got ${inputs.backbone.length} backbone weights, built with ${this.reference.length}`,
      );
    }
    return tf.tidy(() => {
      const drift = inputs.backbone.map((w, i) => {
        assertSameShape(w, this.reference[i], i);
        return tf.sub(w, this.reference[i]);
      });
      return tf.add(
        tf.mul(this.alpha / 2, sumOfSquares(drift)),
        tf.mul(this.beta / 2, sumOfSquares(inputs.head)),
      );
    });
  }

  dispose(): void {
    for (const t of this.reference) t.dispose();
    this.reference.length = 0;
  }
}

function assertSameShape(a: tf.Tensor, b: tf.Tensor, index: number): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, k) => d !== b.shape[k])) {
    throw new RangeError(
      `l2sp: backbone weight ${index} has shape [${a.shape}], its source weight [${b.shape}]`,
    );
  }
}
