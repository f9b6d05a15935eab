/**
 * One site's part of a round on TF.js: local epochs with the algorithm's plan (learning-rate
 * cycle, mixup, distillation), then what the site shares (its weights, or its logits on the
 * public set). Runs where the site's data is: inside the coordinator job for the local placement,
 * inside `autodl site serve` for a remote site. Nothing here leaves the site but `SiteShare`.
 */
import * as tf from '@tensorflow/tfjs';
import type { LocalPlan } from './core/federated-algorithm';
import { misfitOf } from './core/data-contract';
import { drawMixup } from './core/mcl';
import type { WeightSet } from './core/weights';
import { makeSchedule } from '../ml/train/schedules';
import { Rng } from '../platform/core/rng';
import type { Dataset } from '../ml/data';
import { datasetTensors, type InputContract } from '../registry/core/encode';
import { evaluate, predictBatches } from '../ml/train/evaluate';
import {
  type DistillationSpec,
  distillationLossFn,
  type MixupSpec,
  mixupLossFn,
} from '../ml/train/row-objectives';
import type { OptimizerName, ScheduledOptimizer } from '../ml/train/optimizers';
import type { WeightPenaltyFn } from '../ml/train/gradient-step';
import { trainModel, type LossFn, type TrainSet } from '../ml/train/trainer';
import { samGradientFn } from '../ml/train/sam';
import { notTrueDistillationLoss } from '../ml/train/not-true-distillation';
import { decorrelatedLoss } from '../ml/train/feature-decorrelation';
import { modelContrastiveLoss } from '../ml/train/model-contrastive';
import { classLogPrior, logitAdjustedLoss } from '../ml/train/logit-adjustment';

export { distillationTerm } from '../ml/train/row-objectives';

const EPS = 1e-7;

/**
 * How a train split misses a federation's contract (core/data-contract.ts): the check of the
 * coordinator (local-placement.ts) and of every site (site-trainer.ts) on the loaded data.
 */
export function contractMisfit(
  ds: Dataset,
  inputShape: readonly number[],
  classNames: readonly string[],
): 'shape' | 'classes' | 'empty' | null {
  const imageShape = ds.inputs.kind === 'image' ? ds.inputs.shape : null;
  return misfitOf({ imageShape, classNames: ds.classNames, size: ds.size }, inputShape, classNames);
}

/** The model's weights as flat float32 arrays, in model.getWeights() order. */
export function readWeights(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.dataSync()));
}

/** Loads flat weights into the model (same order and sizes as readWeights). */
export function writeWeights(model: tf.LayersModel, weights: WeightSet): void {
  const current = model.getWeights();
  const tensors = current.map((w, i) => tf.tensor(weights[i], w.shape));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/**
 * The site's training examples followed by the federation's shared labelled set (Zhao et al.,
 * "Federated Learning with Non-IID Data", arXiv 1806.00582, sec. 4: a small globally shared set
 * every client trains on beside its own data). New tensors; the caller disposes them. The site's
 * own examples stay first, so without a shared set nothing changes.
 */
export function withSharedExamples(own: TrainSet, shared: TrainSet | undefined): TrainSet {
  if (!shared || shared.x.shape[0] === 0) return { x: own.x.clone(), y: own.y.clone() };
  return {
    x: tf.concat([own.x, shared.x]),
    y: tf.concat([own.y, tf.cast(shared.y, own.y.dtype)]),
  };
}

/** A site's tensors: its examples, then the shared set's (the separate copies are freed). */
export function siteTrainSet(
  own: Dataset,
  shared: Dataset | undefined,
  contract: InputContract,
): TrainSet {
  return tf.tidy(() => {
    const t = withSharedExamples(
      datasetTensors(own, contract),
      shared ? datasetTensors(shared, contract) : undefined,
    );
    return { x: t.x, y: t.y };
  });
}

/** mixup (Zhang et al. 2018) with this site's seeded draws (core/mcl.ts drawMixup). */
export function mixupSpec(alpha: number, rng: Rng): MixupSpec {
  return { draw: (batchRows) => drawMixup(rng, alpha, batchRows) };
}

/** mixup's loss, unsharded (row-objectives.ts mixupLossFn). */
export function mixupLoss(alpha: number, rng: Rng): LossFn {
  return mixupLossFn(mixupSpec(alpha, rng));
}

/**
 * The site's local loss plus the distillation term on a seeded public batch each step:
 * min(batchSize, public rows) rows drawn with replacement.
 */
export function distillationSpec(
  publicX: tf.Tensor,
  teacher: tf.Tensor,
  plan: { temperature: number; weight: number },
  batchSize: number,
  rng: Rng,
): DistillationSpec {
  const n = publicX.shape[0];
  const rows = Math.min(batchSize, n);
  return {
    publicX,
    teacher,
    temperature: plan.temperature,
    weight: plan.weight,
    publicBatch: rows,
    publicRows: () => Array.from({ length: rows }, () => rng.int(0, n - 1)),
  };
}

/** The distillation loss, unsharded (row-objectives.ts distillationLossFn). */
export function distillingLoss(
  publicX: tf.Tensor,
  teacher: tf.Tensor,
  plan: { temperature: number; weight: number },
  batchSize: number,
  rng: Rng,
): LossFn {
  return distillationLossFn(distillationSpec(publicX, teacher, plan, batchSize, rng));
}

/**
 * FedProx's proximal term (core/fedprox.ts) as a trainer penalty: loss + (mu / 2) ||w - w0||^2,
 * gradient + mu (w - w0), w0 = the trainable weights when training starts (the global weights the
 * round began from). Returns the penalty and a function freeing the anchor.
 */
export function proximalPenalty(
  model: tf.LayersModel,
  mu: number,
): { penalty: WeightPenaltyFn; dispose: () => void } {
  // Keyed like the trainer's variables (trainer.ts reads trainableWeights the same way).
  const anchor = new Map(
    model.trainableWeights.map((w) => {
      const v = w.read() as tf.Variable;
      return [v.name, v.clone()] as const;
    }),
  );
  const penalty: WeightPenaltyFn = ({ variables, taskLoss, taskGrads }) => {
    const grads: tf.NamedTensorMap = {};
    let sq: tf.Tensor = tf.scalar(0);
    for (const v of variables) {
      const a = anchor.get(v.name);
      const g = taskGrads[v.name];
      if (!a || !g) {
        if (g) grads[v.name] = g;
        continue;
      }
      const d = tf.sub(v, a);
      grads[v.name] = tf.add(g, tf.mul(d, mu));
      sq = tf.add(sq, tf.sum(tf.square(d)));
    }
    return { loss: tf.add(taskLoss, tf.mul(sq, mu / 2)) as tf.Scalar, grads };
  };
  return { penalty, dispose: () => anchor.forEach((t) => t.dispose()) };
}

/**
 * SCAFFOLD's local step (core/scaffold.ts) as a trainer penalty: the gradient the optimizer
 * applies is g - c_i + c (added after any other penalty, so FedProx's term is corrected too), and
 * the raw task gradient g is accumulated weighted by the step's learning rate for option II,
 * c_i+ = sum_t lr_t g_t / sum_t lr_t. c and c_i are in model.getWeights() order; weights that are
 * not trainable (batch-norm statistics) have no gradient and keep c_i = 0.
 */
export function scaffoldPenalty(
  model: tf.LayersModel,
  control: { c: WeightSet; ci: WeightSet | null },
  lrAt: (step: number) => number,
  inner?: WeightPenaltyFn,
): { penalty: WeightPenaltyFn; next: () => Float32Array[]; dispose: () => void } {
  const index = new Map<string, number>();
  const shapes = model.weights.map((w) => w.shape as number[]);
  const shift = new Map<string, tf.Tensor>();
  const sums = new Map<string, tf.Tensor>();
  let lrSum = 0;
  model.weights.forEach((w, i) => {
    if (!w.trainable) return;
    const name = (w.read() as tf.Variable).name;
    index.set(name, i);
    const c = control.c[i];
    const ci = control.ci?.[i];
    const d = new Float32Array(c.length);
    for (let j = 0; j < c.length; j++) d[j] = c[j] - (ci ? ci[j] : 0);
    shift.set(name, tf.tensor(d, shapes[i]));
  });
  const penalty: WeightPenaltyFn = (ctx) => {
    const base = inner ? inner(ctx) : { loss: ctx.taskLoss, grads: ctx.taskGrads };
    const lr = lrAt(ctx.step);
    lrSum += lr;
    const grads: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(base.grads)) {
      const s = shift.get(name);
      grads[name] = s ? tf.add(g, s) : g;
      const raw = ctx.taskGrads[name];
      if (!s || !raw) continue;
      const prev = sums.get(name);
      const next = tf.keep(prev ? tf.add(prev, tf.mul(raw, lr)) : tf.mul(raw, lr));
      prev?.dispose();
      sums.set(name, next);
    }
    return { loss: base.loss, grads };
  };
  const next = (): Float32Array[] =>
    model.weights.map((w, i) => {
      const sum = sums.get((w.read() as tf.Variable).name);
      if (!sum || !(lrSum > 0)) return new Float32Array(control.c[i].length);
      return Float32Array.from(sum.dataSync(), (v) => v / lrSum);
    });
  return {
    penalty,
    next,
    dispose: () => {
      shift.forEach((t) => t.dispose());
      sums.forEach((t) => t.dispose());
    },
  };
}

export interface LocalTrainingInput {
  model: tf.LayersModel;
  train: TrainSet;
  plan: LocalPlan;
  batchSize: number;
  optimizer: OptimizerName;
  seed: number;
  /** codistill: the public unlabeled inputs and this site's teacher probabilities on them. */
  publicX?: tf.Tensor;
  teacher?: Float32Array;
  /** SCAFFOLD (plan.scaffold): the server's c and the site's c_i (null: zeros, first round). */
  control?: { c: WeightSet; ci: WeightSet | null };
  shouldStop?: () => boolean;
  /** Data-parallel threads (trainModel's `threads`); default the process's setting. */
  threads?: number;
  /** The site's optimizer kept across rounds (trainModel's `carriedOptimizer`); absent: fresh. */
  carriedOptimizer?: ScheduledOptimizer;
  /**
   * MOON (plan.modelContrastive): frozen models of the site's architecture holding the round's
   * global weights and the site's weights after its previous round.
   */
  contrast?: { global: tf.LayersModel; previous: tf.LayersModel };
}

export interface LocalTrainingResult {
  loss: number;
  accuracy: number;
  steps: number;
  cancelled: boolean;
  /** SCAFFOLD: the site's new control variate c_i+ (option II). */
  nextControl?: Float32Array[];
  /** Threads and shards per batch that trained (trainModel's). */
  threads: number;
  shards: number;
}

/** Trains `model` in place for the plan's local epochs. */
export async function trainLocally(i: LocalTrainingInput): Promise<LocalTrainingResult> {
  const { plan } = i;
  const rng = new Rng(i.seed).fork('site-loss');
  let teacher: tf.Tensor | undefined;
  // Both are losses the trainer may split over worker threads (row-objectives.ts): the draws
  // stay on this thread, in the same order sharded or not. Distillation wins over mixup.
  let mixup: MixupSpec | undefined;
  let distillation: DistillationSpec | undefined;
  if (plan.distillation && i.publicX && i.teacher) {
    teacher = tf.tensor2d(i.teacher, [i.publicX.shape[0], i.teacher.length / i.publicX.shape[0]]);
    distillation = distillationSpec(i.publicX, teacher, plan.distillation, i.batchSize, rng);
  } else if (plan.mixupAlpha !== null) mixup = mixupSpec(plan.mixupAlpha, rng);
  const mu = plan.proximalMu ?? 0;
  if (plan.scaffold && !i.control) throw new Error('SCAFFOLD needs the server control variate');
  if (plan.modelContrastive && !i.contrast)
    throw new Error('MOON needs the global and the previous local model');
  const sam = plan.samRho ? samGradientFn(plan.samRho) : undefined;
  // One local objective at a time: the trainer takes one loss, one gradient function or one
  // penalty. FedProx and SCAFFOLD are the one pair that combines (scaffoldPenalty wraps the
  // proximal term).
  const objectives = [
    ['mixup or distillation', !!(mixup || distillation)],
    ['FedProx or SCAFFOLD', mu > 0 || !!plan.scaffold],
    ['SAM', !!sam],
    ['FedNTD', !!plan.notTrueBeta],
    ['logit adjustment', !!plan.logitAdjustment],
    ['FedDecorr', !!plan.decorrelationBeta],
    ['MOON', !!plan.modelContrastive],
  ] as const;
  const asked = objectives.filter(([, on]) => on).map(([name]) => name);
  if (asked.length > 1)
    throw new Error(`${asked.join(', ')}: one local objective at a time, these do not combine`);
  const prox = mu > 0 ? proximalPenalty(i.model, mu) : null;
  // FedNTD: the global model's predictions on every training row, before the first step (the
  // model holds the global weights until then).
  const ntdTeacher = plan.notTrueBeta
    ? (predictBatches(i.model, i.train.x, 256) as tf.Tensor2D)
    : undefined;
  // Logit adjustment: this site's label prior, from its own training rows.
  const adjusted = plan.logitAdjustment
    ? logitAdjustedLoss(
        classLogPrior(i.train.y.dataSync(), i.model.outputs[0].shape[1] ?? 0),
        plan.logitAdjustment,
      )
    : undefined;
  // The site's own loss, when an objective replaces cross-entropy (at most one: checked above).
  let lossFn: LossFn | undefined = adjusted;
  if (ntdTeacher && plan.notTrueBeta)
    lossFn = notTrueDistillationLoss(ntdTeacher, plan.notTrueBeta);
  else if (plan.decorrelationBeta) lossFn = decorrelatedLoss(i.model, plan.decorrelationBeta);
  else if (plan.modelContrastive && i.contrast) {
    const { mu, temperature } = plan.modelContrastive;
    lossFn = modelContrastiveLoss(i.model, i.contrast.global, i.contrast.previous, mu, temperature);
  }
  const steps = Math.ceil(i.train.x.shape[0] / i.batchSize);
  const schedule = makeSchedule(plan.schedule, plan.learningRate, steps, plan.epochs);
  const scaffold =
    plan.scaffold && i.control
      ? scaffoldPenalty(i.model, i.control, (t) => schedule.at(t), prox?.penalty)
      : null;
  try {
    const result = await trainModel(i.model, i.train, {
      epochs: plan.epochs,
      batchSize: i.batchSize,
      learningRate: plan.learningRate,
      optimizer: { name: i.optimizer },
      schedule: plan.schedule,
      seed: i.seed,
      // FedBABU: the head is not a trainable variable, so neither the optimizer nor weight decay
      // touches it and it leaves the site bit-identical to the global head it arrived with.
      freeze: plan.freezeHead ? { kind: 'head' } : { kind: 'none' },
      ...(mixup ? { mixup } : {}),
      ...(distillation ? { distillation } : {}),
      penalty: scaffold?.penalty ?? prox?.penalty,
      ...(sam ? { gradientFn: sam } : {}),
      ...(lossFn ? { lossFn } : {}),
      ...(i.threads !== undefined ? { threads: i.threads } : {}),
      ...(i.carriedOptimizer ? { carriedOptimizer: i.carriedOptimizer } : {}),
      shouldStop: i.shouldStop,
    });
    const last = result.history[result.history.length - 1];
    return {
      loss: last?.loss ?? Number.NaN,
      accuracy: last?.accuracy ?? Number.NaN,
      steps: result.steps,
      cancelled: result.stoppedBy === 'cancelled',
      ...(scaffold ? { nextControl: scaffold.next() } : {}),
      threads: result.threads,
      shards: result.shards,
    };
  } finally {
    teacher?.dispose();
    ntdTeacher?.dispose();
    adjusted?.dispose();
    prox?.dispose();
    scaffold?.dispose();
  }
}

/** The site's shared predictions: z = log p on the public set, row-major [n, classes]. */
export function publicLogits(model: tf.LayersModel, publicX: tf.Tensor): Float32Array {
  return tf.tidy(() => {
    // predictBatches: over the inference replicas when a core is free (one [n, k] output).
    const p = predictBatches(model, publicX, 256);
    return Float32Array.from(tf.log(tf.add(p, EPS)).dataSync());
  });
}

/** Accuracy and loss of `model` on a labelled split held by the site (null when empty). */
export function siteEvaluation(
  model: tf.LayersModel,
  set: TrainSet | undefined,
  numClasses: number,
): { accuracy: number; loss: number; count: number; confusion: number[][] } | null {
  if (!set || set.x.shape[0] === 0) return null;
  const e = evaluate(model, set.x, set.y, { numClasses });
  return { accuracy: e.accuracy, loss: e.loss, count: e.count, confusion: e.confusion };
}
