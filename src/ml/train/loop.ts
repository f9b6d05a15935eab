import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../platform/core/rng';
import type { EpochMetrics, StopReason, TrainingCallback } from './callbacks';

/** One optimizer step's outputs, kept out of its tidy; the loop disposes them. */
export interface StepOutcome {
  loss: tf.Scalar;
  /** Correctly classified examples of the batch, when the step could count them. */
  correct?: tf.Scalar;
}

/** Runs one optimizer step on the examples `batch` (indices into the training set). */
export type StepFn = (batch: number[], info: { epoch: number; step: number }) => StepOutcome;

export interface EpochLoopOptions {
  /** Training examples. */
  size: number;
  epochs: number;
  batchSize: number;
  /** Seeds the per-epoch shuffling. */
  seed: number;
  /** Resume: the number of epochs already done. */
  initialEpoch: number;
  /** The optimizer's learning rate after an epoch (reported with it). */
  learningRate: () => number;
  /** Validation loss and accuracy after an epoch, when there is a validation set. */
  validate?: () => { loss: number; accuracy: number };
  /** Checked before every step; true stops training (cancellation). */
  shouldStop?: () => boolean;
  callbacks: readonly TrainingCallback[];
}

export interface EpochLoopResult {
  history: EpochMetrics[];
  stoppedBy: StopReason;
  /** Global optimizer steps done, resumed epochs included. */
  steps: number;
}

/**
 * The epoch/step loop of model.fit: a fresh seeded shuffle per epoch, mini-batches (the last
 * partial one kept), one step each, then the epoch's mean loss (weighted by batch size, as
 * model.fit), training accuracy, validation metrics and the callbacks. What a step does
 * (gradients, penalties, optimizer) is the caller's `step`.
 */
export async function runEpochs(step: StepFn, o: EpochLoopOptions): Promise<EpochLoopResult> {
  const { size: n, epochs, batchSize } = o;
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const rng = new Rng(o.seed);
  const order = Array.from({ length: n }, (_, i) => i);
  const history: EpochMetrics[] = [];
  let stoppedBy: StopReason = 'completed';
  const stop = (reason: StopReason): void => {
    stoppedBy = reason;
  };
  let globalStep = o.initialEpoch * stepsPerEpoch;
  // A resumed run draws the batch orders of the epochs it skips, so that epoch e sees the same
  // order as in an uninterrupted run with the same seed.
  for (let skipped = 0; skipped < o.initialEpoch; skipped++) rng.shuffle(order);

  for (let epoch = o.initialEpoch; epoch < epochs && stoppedBy === 'completed'; epoch++) {
    const t0 = performance.now();
    // A fresh shuffle per epoch from one seeded stream: same seed, same batch order.
    const perm = rng.shuffle(order);
    const losses: tf.Scalar[] = [];
    const sizes: number[] = [];
    const corrects: tf.Scalar[] = [];
    try {
      for (let b = 0; b < stepsPerEpoch; b++) {
        if (o.shouldStop?.()) {
          stoppedBy = 'cancelled';
          break;
        }
        const info = { epoch, step: globalStep };
        for (const c of o.callbacks) c.onBatchBegin?.(info);
        const batch = perm.slice(b * batchSize, Math.min(n, (b + 1) * batchSize));
        const out = step(batch, info);
        losses.push(out.loss);
        sizes.push(batch.length);
        if (out.correct !== undefined) corrects.push(out.correct);
        globalStep++;
      }
      if (stoppedBy === 'cancelled') break;
      const seen = sizes.reduce((a, s) => a + s, 0);
      const metrics: EpochMetrics = {
        epoch,
        loss:
          tf.tidy(() => tf.addN(losses.map((l, i) => tf.mul(l, sizes[i]))).dataSync()[0]) / seen,
        learningRate: o.learningRate(),
        durationMs: 0,
      };
      if (corrects.length === losses.length) {
        metrics.accuracy = tf.tidy(() => tf.addN(corrects).dataSync()[0]) / seen;
      }
      if (o.validate) {
        const v = o.validate();
        metrics.val_loss = v.loss;
        metrics.val_accuracy = v.accuracy;
      }
      metrics.durationMs = performance.now() - t0;
      history.push(metrics);
      for (const c of o.callbacks) await c.onEpochEnd?.(metrics, stop);
    } finally {
      tf.dispose(losses);
      tf.dispose(corrects);
    }
  }
  for (const c of o.callbacks) c.onTrainEnd?.(history);
  return { history, stoppedBy, steps: globalStep };
}
