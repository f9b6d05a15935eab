import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from './evaluate';
import type { StepFn } from './loop';
import type { GroupedOptimizer } from './param-groups';

/** Examples and integer class labels: x [n, ...], y [n]. */
export interface TrainSet {
  x: tf.Tensor;
  y: tf.Tensor;
}

export interface StepContext {
  readonly epoch: number;
  /** Global optimizer step (0-based). */
  readonly step: number;
  /**
   * The model's forward pass in training mode (dropout on, batch-norm batch statistics). Loss
   * functions should use it: the loop takes the training accuracy from its output.
   */
  forward(x: tf.Tensor): tf.Tensor;
  /** The batch's rows of the training set (int32), for losses with per-row targets. */
  readonly rows?: tf.Tensor1D;
}

/** Per-step loss; the default is the cross-entropy of ctx.forward(x) against y. */
export type LossFn = (
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  ctx: StepContext,
) => tf.Scalar;

export interface GradientContext extends StepContext {
  readonly model: tf.LayersModel;
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
  /** The trainable variables (frozen layers excluded). */
  readonly variables: tf.Variable[];
  /** Value and gradients, keyed by variable name, of a scalar function of the trainable variables. */
  gradientsOf(f: () => tf.Scalar): { value: tf.Scalar; grads: tf.NamedTensorMap };
}

/**
 * Replaces the default "gradients of lossFn" when a method needs several gradients per step
 * (DTNH: task and regulariser gradients separately, then combined). Returns the loss to report
 * and the gradients to apply. Runs inside the step's tidy: intermediates are freed.
 */
export type GradientFn = (ctx: GradientContext) => { loss: tf.Scalar; grads: tf.NamedTensorMap };

/** What a weight penalty sees: the step, the task loss and its gradient, a gradient helper. */
export interface PenaltyContext {
  readonly epoch: number;
  readonly step: number;
  /** The trainable variables (frozen layers excluded). */
  readonly variables: tf.Variable[];
  /** The batch's mean task loss (cross-entropy) and its gradients, keyed by variable name. */
  readonly taskLoss: tf.Scalar;
  readonly taskGrads: tf.NamedTensorMap;
  /**
   * A sharded run with a feature penalty (DELTA, TrainOptions.featurePenalty): its value summed
   * over the batch; its gradient is already in taskGrads.
   */
  readonly featurePenalty?: tf.Scalar;
  /**
   * A sharded run whose feature penalty's gradient is kept apart (DTNH over DELTA,
   * FeaturePenaltySpec.separateGradients): that gradient, summed over the batch's shards; taskGrads
   * is then the cross-entropy's alone.
   */
  readonly featureGrads?: tf.NamedTensorMap;
  /** Value and gradients of a scalar function of the trainable variables. */
  gradientsOf(f: () => tf.Scalar): { value: tf.Scalar; grads: tf.NamedTensorMap };
}

/**
 * A penalty on the weights alone (no activations: l2, l2sp, and their DTNH combination), applied
 * once per step after the task gradient of the whole batch is known. Unlike a GradientFn it does
 * not see the batch, so the task gradient may come from shards on other threads (sharded-step.ts).
 * Returns the loss to report and the gradients to apply. Runs inside the step's tidy.
 */
export type WeightPenaltyFn = (ctx: PenaltyContext) => {
  loss: tf.Scalar;
  grads: tf.NamedTensorMap;
};

export type GradientTransform = (
  grads: tf.NamedTensorMap,
  info: { epoch: number; step: number },
) => tf.NamedTensorMap;

/** The cross-entropy of the training-mode forward pass: the step's loss unless a method gives one. */
export const defaultLoss: LossFn = (_model, x, y, ctx) => crossEntropy(ctx.forward(x), y);

/**
 * One mini-batch step as a custom loop needs it (not model.fit: transfer-learning methods add
 * penalties to the loss and edit gradients): gather the batch, take the gradients of the loss
 * (or the method's gradientFn), transform them, apply them. The training accuracy comes from the
 * first forward pass of the batch.
 */
export function gradientStep(o: {
  model: tf.LayersModel;
  train: TrainSet;
  variables: tf.Variable[];
  optimizer: GroupedOptimizer;
  lossFn?: LossFn;
  gradientFn?: GradientFn;
  penalty?: WeightPenaltyFn;
  transformGradients?: GradientTransform;
}): StepFn {
  const { model, train, variables } = o;
  const lossFn = o.lossFn ?? defaultLoss;
  return (batch, info) => {
    // Kept out of the tidy (the forward pass runs in the gradient's inner scope); the loop frees it.
    let correct: tf.Scalar | undefined;
    const runStep = (): tf.Scalar => {
      const indices = tf.tensor1d(batch, 'int32');
      const xb = tf.gather(train.x, indices);
      const yb = tf.gather(train.y, indices);
      const forward = (x: tf.Tensor): tf.Tensor => {
        const out = model.apply(x, { training: true }) as tf.Tensor;
        if (correct === undefined && x === xb) {
          correct = tf.keep(
            tf.sum(tf.cast(tf.equal(tf.argMax(out, -1), tf.cast(yb, 'int32')), 'float32')),
          ) as tf.Scalar;
        }
        return out;
      };
      const ctx: StepContext = { ...info, forward, rows: indices };
      const gradientsOf = (f: () => tf.Scalar) => tf.variableGrads(f, variables);
      const task = (): { loss: tf.Scalar; grads: tf.NamedTensorMap } => {
        const { value, grads: g } = gradientsOf(() => lossFn(model, xb, yb, ctx));
        if (!o.penalty) return { loss: value, grads: g };
        return o.penalty({ ...info, variables, taskLoss: value, taskGrads: g, gradientsOf });
      };
      const { loss, grads } = o.gradientFn
        ? o.gradientFn({ ...ctx, model, x: xb, y: yb, variables, gradientsOf })
        : task();
      o.optimizer.apply(
        o.transformGradients ? o.transformGradients(grads, info) : grads,
        info.step,
      );
      return loss;
    };
    try {
      return { loss: tf.tidy(runStep), correct };
    } catch (err) {
      correct?.dispose();
      throw err;
    }
  };
}
