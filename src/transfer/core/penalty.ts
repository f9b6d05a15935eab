import * as tf from '@tensorflow/tfjs';

/**
 * What a transfer penalty sees at one training step. The orchestration splits the trainable
 * weights into the pretrained (shared) part and the new classifier head, in a fixed order that
 * matches the reference weights the penalty was built with.
 */
export interface PenaltyInputs {
  /** Current values of the pretrained (shared) trainable weights. */
  readonly backbone: readonly tf.Tensor[];
  /** Current values of the new head's trainable weights. */
  readonly head: readonly tf.Tensor[];
  /** Hooked feature maps of the network being trained on this batch (penalties with `needsFeatures`). */
  readonly targetFeatures?: readonly tf.Tensor[];
  /** The same layers of the frozen source network on the same batch; constants, no gradient. */
  readonly sourceFeatures?: readonly tf.Tensor[];
}

/**
 * A regulariser of a fine-tuning run, in the shape of a TF.js layers regulariser: `apply` returns
 * a scalar to be added to the task loss and is called inside `tf.tidy()` / a gradient tape.
 */
export interface TransferPenalty {
  /** API name (`l2`, `l2sp`, `delta`). */
  readonly name: string;
  /** True when `apply` needs `targetFeatures` and `sourceFeatures` (DELTA). */
  readonly needsFeatures: boolean;
  apply(inputs: PenaltyInputs): tf.Scalar;
  /**
   * A penalty on feature maps (DELTA) as two parts for sharded training: the parameters of its
   * per-row feature term (alpha x attention-weighted distance, shard-gradients.ts) and the
   * weight-only rest. `apply` = alpha x distance + weightTerm.
   */
  readonly split?: {
    alpha: number;
    attention: readonly (readonly number[])[];
    weightTerm(inputs: PenaltyInputs): tf.Scalar;
  };
  /** Release the reference tensors the penalty keeps (source weights). */
  dispose(): void;
}

/** Sum of squares of all entries of all tensors: sum_i ||t_i||^2 (0 for an empty list). */
export function sumOfSquares(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    for (const t of tensors) total = tf.add(total, tf.sum(tf.square(t)));
    return total;
  });
}

/** Throws a RangeError naming `name` unless `value` is a finite number >= 0. */
export function requireNonNegative(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${String(value)}`);
  }
}
