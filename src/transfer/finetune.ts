import * as tf from '@tensorflow/tfjs';
import { ModelBuffers } from '../ml/io/buffers';
import { loadCheckpointWeights } from '../ml/io/checkpoint';
import { applyFreeze, FreezeSpec } from '../ml/train/freeze';
import { ScheduleSpec } from '../ml/train/schedules';
import { ParamGroup } from '../ml/train/param-groups';
import {
  EpochMetrics,
  trainModel,
  TrainingCallback,
  TrainResult,
  TrainSet,
} from '../ml/train/trainer';
import type { TrainingThreads } from '../ml/train/parallel';
import { Rng } from '../platform/core/rng';
import { ValidationError } from '../platform/errors/domain-error';
import { FinetuneConfig } from './core/finetune-config';
import { MethodPlan, parseMethod } from './core/method';
import { createPenalty } from './core/penalty-registry';
import { cyclicHeadLr, RifleHeadResetter } from './core/rifle';
import { reestimateBatchNorm } from './batch-norm-statistics';
import { deltaAttention, deltaHookLayers } from './delta-phase';
import { cloneModel, headLayerOf, replaceHead, splitTrainable } from './model-surgery';
import { TransferObjective } from './objective';

export interface FinetuneEpochMetrics extends EpochMetrics {
  /** Mean cross-entropy of the training batches (the loop's `loss` adds the penalty). */
  taskLoss: number;
  /** Mean transfer penalty of the training batches. */
  penalty: number;
  /** DTNH: share of this epoch's steps where the penalty gradient conflicted with the task's. */
  dtnhConflictRate?: number;
  /** Global steps after which RIFLE re-initialised the head during this epoch. */
  rifleReinits: number[];
}

/**
 * What a re-queued fine-tuning job needs to continue: the target model after `epochsDone` epochs
 * of the main phase and, for DELTA, the channel attention computed before it (recomputing it
 * would mean re-running the head phase).
 */
export interface FinetuneCheckpoint {
  epochsDone: number;
  weights: ModelBuffers;
  attention?: number[][];
}

export interface FinetuneInput {
  /** The pretrained source model; left untouched (fine-tuning works on a copy). */
  base: tf.LayersModel;
  train: TrainSet;
  /** Needed for early stopping; evaluated after every epoch when given. */
  validation?: TrainSet;
  numClasses: number;
  config: FinetuneConfig;
  /** After each epoch, with the model being trained (e.g. to record per-sample training dynamics). */
  onEpochEnd?: (metrics: FinetuneEpochMetrics, model: tf.LayersModel) => void | Promise<void>;
  /** Checked before every step; true stops (cancellation). */
  shouldStop?: () => boolean;
  /** Data-parallel threads (trainModel's `threads`); default the process's setting. */
  threads?: TrainingThreads;
  /** After each epoch of the main phase: what `resume` takes to continue after that epoch. */
  onCheckpoint?: (checkpoint: FinetuneCheckpoint) => void | Promise<void>;
  /** Continue from a checkpoint of an earlier run with the same base, data and config. */
  resume?: FinetuneCheckpoint;
  /**
   * DELTA: the channel attention an earlier run with the same base, training data, hooks, seed
   * and scoring settings returned (`FinetuneResult.attention`); skips the head phase, which does
   * not depend on alpha, beta or the fine-tuning schedule (a grid over alpha scores once).
   */
  attention?: number[][];
}

export interface FinetuneResult {
  /** The fine-tuned model with its new head; the caller owns (and disposes) it. */
  model: tf.LayersModel;
  plan: MethodPlan;
  history: FinetuneEpochMetrics[];
  stoppedBy: TrainResult['stoppedBy'];
  bestEpoch?: number;
  /** DELTA: the hooked layers and their channel attention. */
  hookLayers?: string[];
  attention?: number[][];
  /** RIFLE: the scheduled re-initialisation points (global steps). */
  rifleSchedule?: number[];
  /** Threads and shards per batch of the main phase (trainModel's; see docs/ml.md). */
  threads: number;
  shards: number;
}

function freezeSpec(freeze: FinetuneConfig['freeze']): FreezeSpec {
  if (freeze === 'none') return { kind: 'none' };
  if (freeze === 'all-but-head') return { kind: 'all-but-head' };
  return { kind: 'from-layer', index: freeze };
}

function scheduleSpec(c: FinetuneConfig): ScheduleSpec {
  if (c.lrSchedule === 'step')
    return { kind: 'step', everyEpochs: c.lrStepEpochs, gamma: c.lrGamma };
  return { kind: c.lrSchedule };
}

/**
 * Fine-tunes a copy of `base` on the target data with the configured method (EasyDL / PaddleHub
 * "fine-tune in one call"):
 * 1. copy the base model and replace its head by a new softmax head for `numClasses`;
 * 2. DELTA only: train a scoring head (its own random stream) on the frozen backbone
 *    (`headEpochs`), score the hooked channels and turn the scores into attention, then put every
 *    weight back, so fine-tuning starts from the head of step 1, as for every other method with
 *    the same seed (the authors' train.py also starts from a new classifier);
 * 3. freeze as configured and train with cross-entropy + penalty (L2 / L2-SP / DELTA), with DTNH
 *    combining the two gradients and RIFLE re-initialising the head on its schedule;
 * 4. re-estimate the batch-norm moving statistics on the training data (`reestimateBatchNorm`).
 *
 * Resume (`input.resume`): steps 1-3 are rebuilt from the seed as before (the L2-SP/DELTA
 * reference weights are the base model's, so they are taken before the checkpoint is loaded),
 * DELTA takes its attention from the checkpoint instead of re-running the head phase, RIFLE's
 * past re-initialisations are replayed so its random stream continues where it was, then the
 * saved weights are loaded and training continues at `epochsDone` (trainModel's initialEpoch),
 * so the learning-rate and RIFLE schedules, both keyed by the global step, pick up there. Not
 * carried over, as in Keras' ModelCheckpoint with save_weights_only: the optimizer moments
 * (Adam restarts from zero) and the early-stopping patience count.
 */
export async function finetune(input: FinetuneInput): Promise<FinetuneResult> {
  const { config: c, train, validation } = input;
  const plan = parseMethod(c.method, 'config.method');
  if (c.earlyStoppingPatience > 0 && !validation) {
    throw ValidationError.field('earlyStoppingPatience', 'needs a validation set');
  }
  const n = train.x.shape[0];
  const stepsPerEpoch = Math.ceil(n / c.batchSize);
  const resume = input.resume;
  if (resume && !(Number.isInteger(resume.epochsDone) && resume.epochsDone >= 0)) {
    throw ValidationError.field(
      'resume.epochsDone',
      `must be an integer >= 0, got ${resume.epochsDone}`,
    );
  }
  const initialEpoch = Math.min(resume?.epochsDone ?? 0, c.epochs);
  const rng = new Rng(c.seed);
  const target = replaceHead(
    await cloneModel(input.base),
    input.numClasses,
    rng.int(0, 2 ** 31 - 1),
  );
  const source = plan.penalty === 'delta' ? await cloneModel(input.base) : undefined;
  let objective: TransferObjective | undefined;
  try {
    const common = {
      batchSize: c.batchSize,
      learningRate: c.learningRate,
      optimizer: { name: c.optimizer },
      seed: c.seed,
      shouldStop: input.shouldStop,
      threads: input.threads,
    };

    let hookLayers: string[] | undefined;
    let attention: number[][] | undefined;
    if (plan.penalty === 'delta') {
      hookLayers = deltaHookLayers(target, c.hookLayers);
      attention = await deltaAttention({
        target,
        train,
        config: c,
        hookLayers,
        // Its own stream: the fine-tuning stream (`rng`, RIFLE's draws) is the same as without DELTA.
        rng: new Rng(c.seed).fork('delta'),
        common,
        known: resume ? (resume.attention ?? []) : input.attention,
        knownField: resume ? 'resume.attention' : 'attention',
      });
    }

    const freeze = freezeSpec(c.freeze);
    applyFreeze(target, freeze);
    const penalty = createPenalty(plan.penalty, {
      alpha: c.alpha,
      beta: c.beta,
      sourceWeights: splitTrainable(target).backbone,
      attention,
    });
    objective = new TransferObjective(target, penalty, { dtnh: plan.dtnh, source, hookLayers });

    const rifle = plan.rifle ? rifleHooks(target, c, stepsPerEpoch, rng) : undefined;
    if (resume) {
      // Replaying the re-initialisations before the resume point advances RIFLE's stream as the
      // interrupted run did; the loaded weights then overwrite the re-drawn head.
      const start = initialEpoch * stepsPerEpoch;
      if (rifle) for (const p of rifle.resetter.points) if (p < start) rifle.resetter.afterStep(p);
      await loadCheckpointWeights(target, resume.weights);
    }

    const history: FinetuneEpochMetrics[] = [];
    const obj = objective;
    const result = await trainModel(target, train, {
      ...common,
      epochs: c.epochs,
      schedule: scheduleSpec(c),
      paramGroups: rifle?.paramGroups ?? [],
      freeze,
      validation,
      earlyStopping:
        c.earlyStoppingPatience > 0
          ? { patience: c.earlyStoppingPatience, monitor: 'val_loss' }
          : undefined,
      // l2/l2sp (and DTNH over them) as a weight penalty, DELTA's feature maps per shard: the
      // batch's gradient may then be computed in shards on worker threads.
      ...objective.trainerOptions(),
      callbacks: rifle ? [rifle.callback] : [],
      initialEpoch,
      onEpochEnd: async (m) => {
        const metrics: FinetuneEpochMetrics = {
          ...m,
          ...obj.takeMeans(),
          rifleReinits: rifle?.reinits.splice(0) ?? [],
        };
        history.push(metrics);
        await input.onEpochEnd?.(metrics, target);
      },
      onCheckpoint: input.onCheckpoint
        ? (epoch, weights) => input.onCheckpoint?.({ epochsDone: epoch + 1, weights, attention })
        : undefined,
    });
    // Batch norm: the moving statistics of the fine-tuning data, not a lagging mixture with the
    // source's (see reestimateBatchNorm). A cancelled run is returned as it stands.
    if (result.stoppedBy !== 'cancelled') reestimateBatchNorm(target, train.x);
    return {
      model: target,
      plan,
      history,
      stoppedBy: result.stoppedBy,
      bestEpoch: result.bestEpoch,
      hookLayers,
      attention,
      rifleSchedule: rifle?.resetter.points.slice(),
      threads: result.threads,
      shards: result.shards,
    };
  } catch (e) {
    target.dispose();
    throw e;
  } finally {
    objective?.dispose();
    source?.dispose();
  }
}

/**
 * RIFLE (Li et al. 2020): the head re-initialised at scheduled global steps (a callback before
 * each step: `step` counts the steps done, so the reset lands right after the scheduled step and
 * before the next forward pass), optionally with its own cyclic learning rate.
 */
function rifleHooks(
  target: tf.LayersModel,
  c: FinetuneConfig,
  stepsPerEpoch: number,
  rng: Rng,
): {
  resetter: RifleHeadResetter;
  paramGroups: ParamGroup[];
  callback: TrainingCallback;
  /** Steps after which the head was re-initialised, since the last read. */
  reinits: number[];
} {
  const total = c.epochs * stepsPerEpoch;
  let resetter: RifleHeadResetter;
  try {
    resetter = new RifleHeadResetter(
      [headLayerOf(target)],
      { total, ...c.rifle },
      rng.fork('rifle'),
    );
  } catch (e) {
    throw ValidationError.field('rifle', (e as Error).message);
  }
  const reinits: number[] = [];
  const paramGroups: ParamGroup[] =
    c.rifle.headLr === 'cyclic'
      ? [
          {
            variables: headLayerOf(target).trainableWeights.map(
              (w) => (w.read() as tf.Variable).name,
            ),
            schedule: cyclicHeadLr(resetter.points, total, c.learningRate),
          },
        ]
      : [];
  const callback: TrainingCallback = {
    onBatchBegin: ({ step }) => {
      if (resetter.afterStep(step)) reinits.push(step);
    },
  };
  return { resetter, paramGroups, callback, reinits };
}
