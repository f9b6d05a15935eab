/**
 * Server-side ensemble distillation (FedDF; Lin, Kong, Stich & Jaggi, "Ensemble Distillation for
 * Robust Model Fusion in Federated Learning", NeurIPS 2020, Algorithm 1), a coordinator option on
 * top of fedavg and esp-clr against label skew. After averaging, the coordinator fine-tunes the
 * average to match the ensemble of the received site models on an unlabeled public set it holds:
 *
 *   teacher(x) = softmax( (1/|S|) sum_{k in S} z_k(x) / T )          (the paper's AvgLogits)
 *   w <- w - Adam( grad_w  T^2 KL(teacher(x) || softmax(z_w(x) / T)) ) on public mini-batches
 *
 * starting from the sample-weighted average, with early stopping on a held-out slice of the
 * public set (the paper stops on a validation set; ours is unlabeled, so the criterion is the
 * same distillation loss on rows the student does not train on). The T^2 factor keeps the
 * gradient's scale independent of T (Hinton, Vinyals & Dean 2015, section 2). The average is
 * kept when no step improves the held-out loss.
 *
 * Nothing new crosses a site boundary: sites send their weights as before, and the public set is
 * the coordinator's own (its labels are never read). The models' outputs are class probabilities,
 * so z = log p: a per-row shift of the logits, which softmax(z / T) and the average of the
 * sites' z ignore.
 *
 * The gradient steps need the model: they go through `DistillationStudent` (the TF.js adapter is
 * src/collab/server-distillation.ts). This file holds the procedure, the teacher and the formulas
 * the adapter is tested against.
 */
import { ValidationError } from '../../platform/errors/domain-error';
import { Rng } from '../../platform/core/rng';
import { distillationLoss, softmaxRows } from './codistill';
import type { WeightSet } from './weights';

export interface ServerDistillationSettings {
  /** Most distillation steps per round (early stopping may end sooner). */
  steps: number;
  /** T of the soft targets and of the student's softmax. */
  temperature: number;
  /** Adam's step size (the paper's 1e-3). */
  learningRate: number;
  /** Public rows per step. */
  batchSize: number;
  /** Steps between two evaluations of the held-out loss. */
  evalEvery: number;
  /** Evaluations without improvement before stopping. */
  patience: number;
  /** Share of the public set held out for early stopping. */
  validationFraction: number;
}

export const SERVER_DISTILLATION_DEFAULTS: ServerDistillationSettings = {
  steps: 500,
  temperature: 1,
  learningRate: 0.001,
  batchSize: 64,
  evalEvery: 50,
  patience: 2,
  validationFraction: 0.2,
};

/** Fills the defaults and checks every value (400 naming `field.<name>` on a bad one). */
export function serverDistillationSettings(
  s: Partial<ServerDistillationSettings>,
  field = 'serverDistillation',
): ServerDistillationSettings {
  const out = { ...SERVER_DISTILLATION_DEFAULTS };
  for (const [k, v] of Object.entries(s) as [keyof ServerDistillationSettings, unknown][])
    if (v !== undefined) out[k] = v as number;
  const integer = (k: keyof ServerDistillationSettings) => {
    if (!Number.isInteger(out[k]) || out[k] < 1)
      throw ValidationError.field(`${field}.${k}`, `must be a positive integer, got ${out[k]}`);
  };
  const positive = (k: keyof ServerDistillationSettings) => {
    if (!(Number.isFinite(out[k]) && out[k] > 0))
      throw ValidationError.field(`${field}.${k}`, `must be a positive number, got ${out[k]}`);
  };
  integer('steps');
  integer('batchSize');
  integer('evalEvery');
  integer('patience');
  positive('temperature');
  positive('learningRate');
  if (!(out.validationFraction > 0 && out.validationFraction < 1))
    throw ValidationError.field(
      `${field}.validationFraction`,
      `must be in (0, 1), got ${out.validationFraction}`,
    );
  return out;
}

/**
 * The ensemble's soft targets: softmax(mean_k z_k / T) row-wise, z_k the sites' logits on the
 * public set (row-major [n, k]), averaged uniformly over the sites as in the paper.
 */
export function ensembleTargets(
  logits: readonly Float32Array[],
  classes: number,
  temperature: number,
): Float32Array {
  if (logits.length === 0) throw ValidationError.field('logits', 'needs at least one site');
  const n = logits[0].length;
  if (logits.some((z) => z.length !== n))
    throw ValidationError.field('logits', 'the sites’ logits differ in shape');
  const mean = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const z of logits) s += z[i];
    mean[i] = s / logits.length;
  }
  return softmaxRows(mean, classes, temperature);
}

/**
 * d/dz of the mean distillation loss T^2 KL(p || softmax(z / T)) over the rows (codistill.ts
 * distillationLoss): T (softmax(z / T) - p) / rows, row-major like z. The closed form the TF.js
 * gradient is tested against.
 */
export function distillationGradient(
  studentLogits: Float32Array,
  teacher: Float32Array,
  classes: number,
  temperature: number,
): Float32Array {
  const q = softmaxRows(studentLogits, classes, temperature);
  if (teacher.length !== q.length)
    throw ValidationError.field('teacher', 'does not match the logits');
  const rows = q.length / classes;
  return Float32Array.from(q, (qi, i) => (temperature * (qi - teacher[i])) / rows);
}

/** The model side of the procedure: a model of the federation's architecture on the public set. */
export interface DistillationStudent {
  /** Rows of the public set. */
  readonly rows: number;
  readonly classes: number;
  /**
   * Logits (log-probabilities) on the public rows `rows`, row-major [rows, classes]: of a model
   * holding `weights`, or of the student as it is when `weights` is absent.
   */
  predict(rows: readonly number[], weights?: WeightSet): Promise<Float32Array>;
  /** Loads `weights` into the student and starts a fresh Adam at `learningRate`. */
  begin(weights: WeightSet, learningRate: number): void;
  /** One Adam step on T^2 KL(targets || softmax(z / T)), mean over `rows`; returns the loss. */
  step(rows: readonly number[], targets: Float32Array, temperature: number): Promise<number>;
  /** The student's weights now. */
  weights(): Float32Array[];
  /** Frees the optimizer's state. */
  end(): void;
}

export interface DistillationOutcome {
  weights: Float32Array[];
  /** Steps taken, and the step whose weights are returned (0: the average was kept). */
  steps: number;
  bestStep: number;
  /** Held-out distillation loss of the average and of the returned weights. */
  initialLoss: number;
  bestLoss: number;
}

/** What the coordinator loop calls after averaging (federation-run.ts `fuse`). */
export type Fuser = (
  siteWeights: readonly WeightSet[],
  average: WeightSet,
  round: number,
) => Promise<DistillationOutcome>;

/** Gathers the rows `rows` of a row-major [n, k] matrix. */
export function gatherRows(m: Float32Array, rows: readonly number[], k: number): Float32Array {
  const out = new Float32Array(rows.length * k);
  rows.forEach((r, i) => out.set(m.subarray(r * k, r * k + k), i * k));
  return out;
}

/**
 * FedDF's fusion step (Algorithm 1, the server's distillation): from the round's average,
 * distill the ensemble of `siteWeights` on the public set, seeded (the held-out slice and the
 * mini-batches).
 */
export async function ensembleDistill(
  siteWeights: readonly WeightSet[],
  average: WeightSet,
  student: DistillationStudent,
  s: ServerDistillationSettings,
  seed: number,
): Promise<DistillationOutcome> {
  const k = student.classes;
  const all = Array.from({ length: student.rows }, (_, i) => i);
  const logits: Float32Array[] = [];
  for (const w of siteWeights) logits.push(await student.predict(all, w));
  const targets = ensembleTargets(logits, k, s.temperature);
  const rng = new Rng(seed).fork('server-distillation');
  const order = rng.shuffle([...all]);
  const held = Math.min(
    student.rows - 1,
    Math.max(1, Math.round(student.rows * s.validationFraction)),
  );
  if (held < 1) throw ValidationError.field('publicDataset', 'needs at least 2 rows');
  const validation = order.slice(0, held);
  const train = order.slice(held);
  const validationTargets = gatherRows(targets, validation, k);
  student.begin(average, s.learningRate);
  try {
    const heldOutLoss = async () =>
      distillationLoss(await student.predict(validation), validationTargets, k, s.temperature);
    const initialLoss = await heldOutLoss();
    let best: { loss: number; step: number; weights: Float32Array[] } = {
      loss: initialLoss,
      step: 0,
      weights: average.map((w) => Float32Array.from(w)),
    };
    let worse = 0;
    let step = 0;
    while (step < s.steps) {
      const batch = Array.from(
        { length: Math.min(s.batchSize, train.length) },
        () => train[rng.int(0, train.length - 1)],
      );
      await student.step(batch, gatherRows(targets, batch, k), s.temperature);
      step++;
      if (step % s.evalEvery !== 0 && step !== s.steps) continue;
      const loss = await heldOutLoss();
      if (loss < best.loss) {
        best = { loss, step, weights: student.weights() };
        worse = 0;
      } else if (++worse >= s.patience) break;
    }
    return {
      weights: best.weights,
      steps: step,
      bestStep: best.step,
      initialLoss,
      bestLoss: best.loss,
    };
  } finally {
    student.end();
  }
}
