import * as tf from '@tensorflow/tfjs';
import { PenaltyInputs, TransferPenalty, requireNonNegative, sumOfSquares } from './penalty';

export interface L2PenaltyOptions {
  /** Weight-decay strength; the penalty is alpha/2 ||w||^2. */
  alpha: number;
}

/**
 * Plain weight decay towards zero, the fine-tuning baseline: Omega(w) = alpha/2 ||w||^2 over every
 * trainable weight (backbone and head), gradient alpha * w. Like PyTorch's `weight_decay`, which
 * the DELTA and L2-SP reference code use for this baseline, it covers biases too.
 */
export class L2Penalty implements TransferPenalty {
  readonly name = 'l2';
  readonly needsFeatures = false;
  readonly alpha: number;

  constructor(options: L2PenaltyOptions) {
    requireNonNegative('alpha', options.alpha);
    this.alpha = options.alpha;
  }

  apply(inputs: PenaltyInputs): tf.Scalar {
    return tf.tidy(() =>
      tf.mul(this.alpha / 2, sumOfSquares([...inputs.backbone, ...inputs.head])),
    );
  }

  dispose(): void {}
}
