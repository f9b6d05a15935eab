import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';
import { ModelBuffers, saveModelToBuffers } from '../io/buffers';
import { crossEntropy, evaluate } from './evaluate';
import { applyFreeze, FreezeSpec } from './freeze';
import { OptimizerSpec } from './optimizers';
import { GroupedOptimizer, ParamGroup } from './param-groups';
import { makeSchedule, ScheduleSpec } from './schedules';

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

export type GradientTransform = (
  grads: tf.NamedTensorMap,
  info: { epoch: number; step: number },
) => tf.NamedTensorMap;

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

export interface EarlyStoppingSpec {
  monitor?: 'val_loss' | 'val_accuracy';
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put the best epoch's weights back when training ends (default true). */
  restoreBestWeights?: boolean;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer?: OptimizerSpec;
  schedule?: ScheduleSpec;
  /** Variables trained at their own learning-rate schedule (the rest follow `schedule`). */
  paramGroups?: readonly ParamGroup[];
  /** Seeds the per-epoch shuffling. */
  seed?: number;
  freeze?: FreezeSpec;
  validation?: TrainSet;
  earlyStopping?: EarlyStoppingSpec;
  /** Resume: the number of epochs already done (weights loaded by the caller). */
  initialEpoch?: number;
  lossFn?: LossFn;
  gradientFn?: GradientFn;
  transformGradients?: GradientTransform;
  onEpochEnd?: (metrics: EpochMetrics) => void | Promise<void>;
  /** Called after each epoch with the full model (model.json + weights.bin) as buffers. */
  onCheckpoint?: (epoch: number, checkpoint: ModelBuffers) => void | Promise<void>;
  /** Checked before every step; true stops training (cancellation). */
  shouldStop?: () => boolean;
}

export interface TrainResult {
  history: EpochMetrics[];
  stoppedBy: 'completed' | 'early-stopping' | 'cancelled';
  /** Epoch (0-based) whose weights the model holds when early stopping restored them. */
  bestEpoch?: number;
  frozenLayers: string[];
  steps: number;
}

function positiveInt(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 1)
    throw ValidationError.field(field, `must be a positive integer, got ${v}`);
}

function validate(model: tf.LayersModel, train: TrainSet, o: TrainOptions): void {
  positiveInt('epochs', o.epochs);
  positiveInt('batchSize', o.batchSize);
  if (!(Number.isFinite(o.learningRate) && o.learningRate > 0)) {
    throw ValidationError.field('learningRate', `must be a positive number, got ${o.learningRate}`);
  }
  const initial = o.initialEpoch ?? 0;
  if (!Number.isInteger(initial) || initial < 0 || initial > o.epochs) {
    throw ValidationError.field(
      'initialEpoch',
      `must be an integer in [0, epochs], got ${initial}`,
    );
  }
  for (const [name, set] of [
    ['train', train],
    ['validation', o.validation],
  ] as const) {
    if (set === undefined) continue;
    if (set.x.shape[0] !== set.y.shape[0] || set.y.rank !== 1) {
      throw ValidationError.field(
        `${name}.y`,
        `must be ${set.x.shape[0]} integer labels, got shape [${set.y.shape}]`,
      );
    }
  }
  if (train.x.shape[0] === 0) throw ValidationError.field('train.x', 'is empty');
  const es = o.earlyStopping;
  if (es !== undefined) {
    if (o.validation === undefined)
      throw ValidationError.field('earlyStopping', 'needs a validation set');
    if (!Number.isInteger(es.patience) || es.patience < 0) {
      throw ValidationError.field(
        'earlyStopping.patience',
        `must be an integer >= 0, got ${es.patience}`,
      );
    }
  }
  if (model.inputs.length !== 1)
    throw ValidationError.field('model', 'must have exactly one input');
}

const defaultLoss: LossFn = (_model, x, y, ctx) => crossEntropy(ctx.forward(x), y);

/**
 * Custom mini-batch training loop (not model.fit): transfer-learning methods need to add
 * penalties to the loss and edit gradients. Same semantics as model.fit where they overlap
 * (shuffle each epoch, last partial batch kept, weights updated once per batch).
 */
export async function trainModel(
  model: tf.LayersModel,
  train: TrainSet,
  options: TrainOptions,
): Promise<TrainResult> {
  validate(model, train, options);
  const n = train.x.shape[0];
  const { epochs, batchSize } = options;
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const frozenLayers = applyFreeze(model, options.freeze ?? { kind: 'none' });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (variables.length === 0) throw ValidationError.field('freeze', 'leaves no trainable weights');
  const schedule = makeSchedule(
    options.schedule ?? { kind: 'constant' },
    options.learningRate,
    stepsPerEpoch,
    epochs,
  );
  const opt = new GroupedOptimizer(
    options.optimizer ?? { name: 'adam' },
    options.learningRate,
    schedule,
    options.paramGroups,
  );
  const lossFn = options.lossFn ?? defaultLoss;
  const rng = new Rng(options.seed ?? 0);
  const order = Array.from({ length: n }, (_, i) => i);
  const es = options.earlyStopping;
  const monitor = es?.monitor ?? 'val_loss';
  const minDelta = es?.minDelta ?? 0;

  const history: EpochMetrics[] = [];
  let stoppedBy: TrainResult['stoppedBy'] = 'completed';
  let best: { value: number; epoch: number; weights: tf.Tensor[] } | undefined;
  let wait = 0;
  let step = (options.initialEpoch ?? 0) * stepsPerEpoch;

  // A resumed run draws the batch orders of the epochs it skips, so that epoch e sees the same
  // order as in an uninterrupted run with the same seed.
  for (let skipped = 0; skipped < (options.initialEpoch ?? 0); skipped++) rng.shuffle(order);

  try {
    epochLoop: for (let epoch = options.initialEpoch ?? 0; epoch < epochs; epoch++) {
      const t0 = performance.now();
      // A fresh shuffle per epoch from one seeded stream: same seed, same batch order.
      const perm = rng.shuffle(order);
      const losses: tf.Scalar[] = [];
      const sizes: number[] = [];
      const corrects: tf.Scalar[] = [];
      try {
        for (let b = 0; b < stepsPerEpoch; b++) {
          if (options.shouldStop?.()) {
            stoppedBy = 'cancelled';
            break epochLoop;
          }
          const idx = perm.slice(b * batchSize, Math.min(n, (b + 1) * batchSize));
          const stepInfo = { epoch, step };
          // Kept out of the tidy (the forward pass runs in the gradient's inner scope); freed below.
          let correct: tf.Scalar | undefined;
          const runStep = (): tf.Scalar => {
            const indices = tf.tensor1d(idx, 'int32');
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
            const ctx: StepContext = { ...stepInfo, forward };
            const gradientsOf = (f: () => tf.Scalar) => tf.variableGrads(f, variables);
            const { loss: value, grads } = options.gradientFn
              ? options.gradientFn({ ...ctx, model, x: xb, y: yb, variables, gradientsOf })
              : (({ value: v, grads: g }) => ({ loss: v, grads: g }))(
                  gradientsOf(() => lossFn(model, xb, yb, ctx)),
                );
            const applied = options.transformGradients
              ? options.transformGradients(grads, stepInfo)
              : grads;
            opt.apply(applied, step);
            return value;
          };
          try {
            losses.push(tf.tidy(runStep));
          } catch (err) {
            correct?.dispose();
            throw err;
          }
          sizes.push(idx.length);
          if (correct !== undefined) corrects.push(correct);
          step++;
        }
        const metrics: EpochMetrics = {
          epoch,
          // Mean over examples, so a short last batch weighs what it holds (as model.fit).
          loss:
            tf.tidy(() => tf.addN(losses.map((l, i) => tf.mul(l, sizes[i]))).dataSync()[0]) /
            sizes.reduce((a, b) => a + b, 0),
          learningRate: opt.learningRate,
          durationMs: 0,
        };
        if (corrects.length === losses.length) {
          metrics.accuracy =
            tf.tidy(() => tf.addN(corrects).dataSync()[0]) / sizes.reduce((a, b) => a + b, 0);
        }
        if (options.validation) {
          const ev = evaluate(model, options.validation.x, options.validation.y, {
            batchSize: Math.max(batchSize, 256),
          });
          metrics.val_loss = ev.loss;
          metrics.val_accuracy = ev.accuracy;
        }
        metrics.durationMs = performance.now() - t0;
        history.push(metrics);
        await options.onEpochEnd?.(metrics);
        if (options.onCheckpoint)
          await options.onCheckpoint(epoch, await saveModelToBuffers(model));
        if (es !== undefined) {
          const value = metrics[monitor] as number;
          const improved =
            best === undefined ||
            (monitor === 'val_loss'
              ? value < best.value - minDelta
              : value > best.value + minDelta);
          if (improved) {
            if (best) tf.dispose(best.weights);
            best = { value, epoch, weights: model.getWeights().map((w) => w.clone()) };
            wait = 0;
          } else if (++wait > es.patience) {
            stoppedBy = 'early-stopping';
            break;
          }
        }
      } finally {
        tf.dispose(losses);
        tf.dispose(corrects);
      }
    }
    let bestEpoch: number | undefined;
    if (best !== undefined && (es?.restoreBestWeights ?? true)) {
      if (best.epoch !== history[history.length - 1]?.epoch) model.setWeights(best.weights);
      bestEpoch = best.epoch;
    }
    return { history, stoppedBy, bestEpoch, frozenLayers, steps: step };
  } finally {
    if (best) tf.dispose(best.weights);
    opt.dispose();
  }
}
