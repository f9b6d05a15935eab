import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../../platform/errors/domain-error';
import { ModelBuffers } from '../io/buffers';
import {
  checkpointCallback,
  EarlyStopping,
  EarlyStoppingSpec,
  epochEndCallback,
  EpochMetrics,
  StopReason,
  TrainingCallback,
} from './callbacks';
import { evaluate } from './evaluate';
import { applyFreeze, FreezeSpec } from './freeze';
import {
  GradientFn,
  GradientTransform,
  gradientStep,
  LossFn,
  TrainSet,
  WeightPenaltyFn,
} from './gradient-step';
import { shardedStep } from './sharded-step';
import { FeaturePenalty, type FeaturePenaltySpec } from './shard-gradients';
import { runEpochs } from './loop';
import {
  type DistillationSpec,
  distillationLossFn,
  type MixupSpec,
  mixupLossFn,
  type RowObjective,
} from './row-objectives';
import { OptimizerSpec, ScheduledOptimizer } from './optimizers';
import { GroupedOptimizer, ParamGroup } from './param-groups';
import type { TrainingThreads } from './parallel';
import { planShards, type ShardPlan } from './replicas';
import { makeSchedule, ScheduleSpec } from './schedules';

export type { EarlyStoppingSpec, EpochMetrics, StopReason, TrainingCallback } from './callbacks';
export type {
  GradientContext,
  GradientFn,
  GradientTransform,
  LossFn,
  PenaltyContext,
  StepContext,
  TrainSet,
  WeightPenaltyFn,
} from './gradient-step';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer?: OptimizerSpec;
  /**
   * An optimizer of `optimizer`'s kind that the caller keeps across runs, so its state (adam's
   * moments and step count) carries over from one run to the next; the caller disposes it.
   * Absent: a fresh optimizer per run.
   */
  carriedOptimizer?: ScheduledOptimizer;
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
  /**
   * A penalty on the weights alone, applied once per step to the batch's cross-entropy gradient
   * (fine-tuning's l2/l2sp and their DTNH combination). Unlike lossFn/gradientFn it keeps the
   * run sharded over threads. Not together with lossFn or gradientFn.
   */
  penalty?: WeightPenaltyFn;
  /**
   * DELTA's feature-map penalty (a sum over rows against a frozen source network), computed per
   * shard, on the replicas too, when the run is sharded; `penalty` then adds the weight-only
   * part. Needs `gradientFn` as well: an unsharded run (nothing installed, a batch too small to
   * shard) takes the gradients from it instead.
   */
  featurePenalty?: FeaturePenaltySpec;
  /**
   * mixup (federation sites with `mcl`): the step's lambda and pairing are drawn from `draw`
   * once per batch on the main thread; sharded, the shards get the mixed rows and the partners'
   * labels. Not together with lossFn, gradientFn, penalty or distillation.
   */
  mixup?: MixupSpec;
  /**
   * Online distillation (`codistill` sites): each step's public batch is drawn once on the main
   * thread; sharded, it is split over the shards with the teacher's soft labels for its rows.
   * Not together with lossFn, gradientFn, penalty or mixup.
   */
  distillation?: DistillationSpec;
  transformGradients?: GradientTransform;
  onEpochEnd?: (metrics: EpochMetrics) => void | Promise<void>;
  /** Called after each epoch with the full model (model.json + weights.bin) as buffers. */
  onCheckpoint?: (epoch: number, checkpoint: ModelBuffers) => void | Promise<void>;
  /** Further hooks, run after onEpochEnd and onCheckpoint, before early stopping. */
  callbacks?: readonly TrainingCallback[];
  /** Checked before every step; true stops training (cancellation). */
  shouldStop?: () => boolean;
  /**
   * Data-parallel threads (main thread included) when the process installed replicas
   * (configureDataParallel, parallel.ts); default: the process's setting (AUTODL_TRAIN_THREADS,
   * `auto` = the cores free at the start). Changes speed, not results (see `shards`).
   */
  threads?: TrainingThreads;
  /**
   * Shards each batch is split into when replicas are installed (capped so that none has fewer
   * than MIN_SHARD rows); default: the process's setting (its cores, or AUTODL_TRAIN_THREADS when
   * a number). The result depends on it, not on `threads`.
   */
  shards?: number;
}

export interface TrainResult {
  history: EpochMetrics[];
  stoppedBy: StopReason;
  /** Epoch (0-based) whose weights the model holds when early stopping restored them. */
  bestEpoch?: number;
  frozenLayers: string[];
  steps: number;
  /** Threads that trained (1: no replicas). */
  threads: number;
  /** Shards every full batch was split into (1: none); fixes the result, whatever `threads`. */
  shards: number;
  /** Time to start the replicas (ms), when there were any. */
  threadStartupMs?: number;
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
  if (o.featurePenalty && (!o.gradientFn || o.lossFn))
    throw ValidationError.field('featurePenalty', 'needs gradientFn (and no lossFn)');
  const d = o.distillation;
  if (d && (d.teacher.rank !== 2 || d.teacher.shape[0] !== d.publicX.shape[0]))
    throw ValidationError.field(
      'distillation.teacher',
      `must be [${d.publicX.shape[0]}, classes] soft labels, got [${d.teacher.shape}]`,
    );
  const objectives = [o.mixup, o.distillation, o.lossFn, o.gradientFn, o.penalty];
  if ((o.mixup || o.distillation) && objectives.filter((f) => f !== undefined).length > 1)
    throw ValidationError.field(
      o.mixup ? 'mixup' : 'distillation',
      'cannot be combined with lossFn, gradientFn, penalty, mixup or distillation',
    );
  if (o.penalty && (o.lossFn || (o.gradientFn && !o.featurePenalty)))
    throw ValidationError.field('penalty', 'cannot be combined with lossFn or gradientFn');
}

/**
 * Trains `model` with the epoch/step loop (loop.ts) and a gradient step (gradient-step.ts):
 * freezing, optimizer with learning-rate schedule and parameter groups, validation, early
 * stopping and checkpoints as callbacks. Same semantics as model.fit where they overlap.
 */
export async function trainModel(
  model: tf.LayersModel,
  train: TrainSet,
  options: TrainOptions,
): Promise<TrainResult> {
  validate(model, train, options);
  const n = train.x.shape[0];
  const { epochs, batchSize } = options;
  const frozenLayers = applyFreeze(model, options.freeze ?? { kind: 'none' });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (variables.length === 0) throw ValidationError.field('freeze', 'leaves no trainable weights');
  const schedule = makeSchedule(
    options.schedule ?? { kind: 'constant' },
    options.learningRate,
    Math.ceil(n / batchSize),
    epochs,
  );
  const optimizer = new GroupedOptimizer(
    options.optimizer ?? { name: 'adam' },
    options.learningRate,
    schedule,
    options.paramGroups,
    options.carriedOptimizer,
  );
  const earlyStopping = options.earlyStopping
    ? new EarlyStopping(model, options.earlyStopping)
    : undefined;
  const callbacks: TrainingCallback[] = [
    ...(options.onEpochEnd ? [epochEndCallback(options.onEpochEnd)] : []),
    ...(options.onCheckpoint ? [checkpointCallback(model, options.onCheckpoint)] : []),
    ...(options.callbacks ?? []),
    ...(earlyStopping ? [earlyStopping] : []),
  ];
  const validation = options.validation;
  let plan: ShardPlan | undefined;
  let featurePenalty: FeaturePenalty | undefined;
  try {
    plan = await planShards({
      model,
      train,
      variables,
      frozenLayers,
      batchSize,
      steps: (epochs - (options.initialEpoch ?? 0)) * Math.ceil(n / batchSize),
      threads: options.threads,
      shards: options.shards,
      customLoss:
        options.lossFn !== undefined ||
        (options.gradientFn !== undefined && options.featurePenalty === undefined),
      features: options.featurePenalty,
      ...objectiveOf(options),
    });
    const pool = plan.pool;
    if (plan.shards > 1 && options.featurePenalty) {
      featurePenalty = new FeaturePenalty(model, options.featurePenalty);
    }
    const step =
      plan.shards > 1
        ? shardedStep({
            model,
            train,
            variables,
            optimizer,
            transformGradients: options.transformGradients,
            penalty: options.penalty,
            featurePenalty,
            separateFeatures: options.featurePenalty?.separateGradients === true,
            mixup: options.mixup,
            distillation: options.distillation,
            shards: plan.shards,
            pool,
          })
        : gradientStep({
            model,
            train,
            variables,
            optimizer,
            lossFn: options.mixup
              ? mixupLossFn(options.mixup)
              : options.distillation
                ? distillationLossFn(options.distillation)
                : options.lossFn,
            gradientFn: options.gradientFn,
            penalty: options.penalty,
            transformGradients: options.transformGradients,
          });
    const result = await runEpochs(step, {
      size: n,
      epochs,
      batchSize,
      seed: options.seed ?? 0,
      initialEpoch: options.initialEpoch ?? 0,
      learningRate: () => optimizer.learningRate,
      validate: validation
        ? () => evaluate(model, validation.x, validation.y, { batchSize: Math.max(batchSize, 256) })
        : undefined,
      shouldStop: options.shouldStop,
      callbacks,
    });
    return {
      ...result,
      bestEpoch: earlyStopping?.bestEpoch,
      frozenLayers,
      threads: 1 + (pool?.replicas ?? 0),
      shards: plan.shards,
      ...(pool ? { threadStartupMs: pool.startupMs } : {}),
    };
  } finally {
    featurePenalty?.dispose();
    await plan?.pool?.dispose();
    earlyStopping?.dispose();
    optimizer.dispose();
  }
}

/** What the replicas need to know of a mixup or distillation run's loss. */
function objectiveOf(o: TrainOptions): { objective?: RowObjective; publicBatch?: number } {
  if (o.mixup) return { objective: { kind: 'mixup' } };
  const d = o.distillation;
  if (!d) return {};
  return {
    objective: {
      kind: 'distillation',
      temperature: d.temperature,
      weight: d.weight,
      classes: d.teacher.shape[1] ?? 1,
    },
    publicBatch: d.publicBatch,
  };
}
