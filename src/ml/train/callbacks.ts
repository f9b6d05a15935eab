import * as tf from '@tensorflow/tfjs';
import { ModelBuffers, saveModelToBuffers } from '../io/buffers';

/** What one epoch of the loop measured. */
export interface EpochMetrics {
  epoch: number;
  loss: number;
  /** Absent when the loss function did not call ctx.forward. */
  accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
  learningRate: number;
  durationMs: number;
}

export type StopReason = 'completed' | 'early-stopping' | 'cancelled';

/**
 * A hook of the training loop, as TF.js layers' fit takes them. Callbacks run in the order
 * given; `stop` ends training after the current epoch.
 */
export interface TrainingCallback {
  /** Before each optimizer step, outside its tidy (`step` counts the steps already done). */
  onBatchBegin?(info: { epoch: number; step: number }): void;
  onEpochEnd?(metrics: EpochMetrics, stop: (reason: StopReason) => void): void | Promise<void>;
  /** After the last epoch (completed, stopped or cancelled; not after an error). */
  onTrainEnd?(history: readonly EpochMetrics[]): void;
}

/** `fn` after every epoch. */
export function epochEndCallback(
  fn: (metrics: EpochMetrics) => void | Promise<void>,
): TrainingCallback {
  return { onEpochEnd: (m) => fn(m) };
}

/** The whole model (model.json + weights.bin) as buffers after every epoch. */
export function checkpointCallback(
  model: tf.LayersModel,
  save: (epoch: number, checkpoint: ModelBuffers) => void | Promise<void>,
): TrainingCallback {
  return { onEpochEnd: async (m) => save(m.epoch, await saveModelToBuffers(model)) };
}

export interface EarlyStoppingSpec {
  monitor?: 'val_loss' | 'val_accuracy';
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put the best epoch's weights back when training ends (default true). */
  restoreBestWeights?: boolean;
}

/**
 * Keras' EarlyStopping: stops after `patience` epochs without a better monitored value and puts
 * the best epoch's weights back at the end. It holds a copy of those weights: `dispose` frees
 * them, whatever way training ended.
 */
export class EarlyStopping implements TrainingCallback {
  private best: { value: number; epoch: number; weights: tf.Tensor[] } | undefined;
  private wait = 0;
  /** Epoch (0-based) whose weights the model holds once training ended, if restored. */
  bestEpoch: number | undefined;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly spec: EarlyStoppingSpec,
  ) {}

  onEpochEnd(metrics: EpochMetrics, stop: (reason: StopReason) => void): void {
    const monitor = this.spec.monitor ?? 'val_loss';
    const minDelta = this.spec.minDelta ?? 0;
    const value = metrics[monitor] as number;
    const best = this.best;
    const improved =
      best === undefined ||
      (monitor === 'val_loss' ? value < best.value - minDelta : value > best.value + minDelta);
    if (improved) {
      if (best) tf.dispose(best.weights);
      this.best = {
        value,
        epoch: metrics.epoch,
        weights: this.model.getWeights().map((w) => w.clone()),
      };
      this.wait = 0;
    } else if (++this.wait > this.spec.patience) {
      stop('early-stopping');
    }
  }

  onTrainEnd(history: readonly EpochMetrics[]): void {
    const best = this.best;
    if (best === undefined || !(this.spec.restoreBestWeights ?? true)) return;
    if (best.epoch !== history[history.length - 1]?.epoch) this.model.setWeights(best.weights);
    this.bestEpoch = best.epoch;
  }

  dispose(): void {
    if (this.best) tf.dispose(this.best.weights);
    this.best = undefined;
  }
}
