import * as tf from '@tensorflow/tfjs';
import { crossEntropy, EPS } from './evaluate';
import type { LossFn } from './gradient-step';

/**
 * Losses whose per-step randomness is drawn on the main thread and whose rows are independent,
 * so a batch can be split into shards computed on worker replicas (sharded-step.ts): mixup
 * (federation sites with `mcl`) and online distillation on a public batch (`codistill`). Each
 * has an unsharded form (a LossFn, the reference) and a sharded one (shard-gradients.ts) that
 * draws the same randomness from the same generator, in the same order, once per batch.
 */

/** One batch's mixing (Zhang et al. 2018): lambda and the partner of each batch position. */
export interface MixupDraw {
  lambda: number;
  /** partner[i] = j: batch position i is mixed with position j (a permutation). */
  partner: number[];
}

/** mixup: a seeded draw per batch, on the main thread. */
export interface MixupSpec {
  draw(batchRows: number): MixupDraw;
}

/**
 * Online distillation towards a teacher's soft labels on a public (unlabelled) set: each step
 * adds weight * T^2 * KL(teacher || softmax(log p / T)) averaged over a seeded public batch.
 */
export interface DistillationSpec {
  publicX: tf.Tensor;
  /** The teacher's probabilities on publicX, [n_public, k]. */
  teacher: tf.Tensor;
  temperature: number;
  weight: number;
  /** Rows of publicX of the step's public batch: a seeded draw per batch, on the main thread. */
  publicRows(): number[];
  /** How many rows publicRows() returns (sizes the replicas' buffers). */
  publicBatch: number;
}

/** What a replica is told at start about the loss it computes (no tensors, no closures). */
export type RowObjective =
  | { kind: 'cross-entropy' }
  | { kind: 'mixup' }
  | { kind: 'distillation'; temperature: number; weight: number; classes: number };

/**
 * mixup's loss (Zhang et al. 2018): the cross-entropy of f(l x_i + (1 - l) x_j) against
 * l y_i + (1 - l) y_j, written as l CE(f, y_i) + (1 - l) CE(f, y_j) since CE is linear in the
 * target (the paper's reference code does the same). The unsharded form.
 */
export function mixupLossFn(spec: MixupSpec): LossFn {
  return (_model, x, y, ctx) => {
    const draw = spec.draw(x.shape[0]);
    const partner = tf.tensor1d(draw.partner, 'int32');
    const l = draw.lambda;
    const mixed = tf.add(tf.mul(x, l), tf.mul(tf.gather(x, partner), 1 - l));
    const out = ctx.forward(mixed);
    return mixupCrossEntropy(out, y, tf.gather(y, partner), l);
  };
}

/** l CE(out, y) + (1 - l) CE(out, partnerY): the same expression sharded and unsharded. */
export function mixupCrossEntropy(
  out: tf.Tensor,
  y: tf.Tensor,
  partnerY: tf.Tensor,
  lambda: number,
): tf.Scalar {
  return tf.add(
    tf.mul(crossEntropy(out, y), lambda),
    tf.mul(crossEntropy(out, partnerY), 1 - lambda),
  ) as tf.Scalar;
}

/**
 * T^2 KL(teacher || softmax(z / T)) averaged over the rows, z = log(p) of the softmax head (the
 * logits up to a per-row constant, which softmax ignores): collab core/codistill.ts
 * distillationLoss.
 */
export function distillationTerm(
  probs: tf.Tensor,
  teacher: tf.Tensor,
  temperature: number,
): tf.Scalar {
  return tf.mul(
    tf.mean(klPerRow(probs, teacher, temperature)),
    temperature * temperature,
  ) as tf.Scalar;
}

/** T^2 KL(teacher || softmax(log p / T)) summed over the rows (a shard's part of the mean). */
export function distillationSum(
  probs: tf.Tensor,
  teacher: tf.Tensor,
  temperature: number,
): tf.Scalar {
  return tf.mul(
    tf.sum(klPerRow(probs, teacher, temperature)),
    temperature * temperature,
  ) as tf.Scalar;
}

/** KL(teacher || softmax(log p / T)) of each row. */
function klPerRow(probs: tf.Tensor, teacher: tf.Tensor, temperature: number): tf.Tensor {
  const logQ = tf.logSoftmax(tf.div(tf.log(tf.add(probs, EPS)), temperature));
  const logT = tf.log(tf.maximum(teacher, EPS));
  return tf.sum(tf.mul(teacher, tf.sub(logT, logQ)), -1);
}

/** The local cross-entropy plus the distillation term on the step's public batch (unsharded). */
export function distillationLossFn(spec: DistillationSpec): LossFn {
  return (_model, x, y, ctx) => {
    const local = crossEntropy(ctx.forward(x), y);
    const idx = tf.tensor1d(spec.publicRows(), 'int32');
    const probs = ctx.forward(tf.gather(spec.publicX, idx));
    const term = distillationTerm(probs, tf.gather(spec.teacher, idx), spec.temperature);
    return tf.add(local, tf.mul(term, spec.weight)) as tf.Scalar;
  };
}

/**
 * One shard as host arrays: what the main thread builds for every shard of a mixup or
 * distillation step and what a replica reads back from shared memory, turned into tensors by the
 * same function (shardTensors) on both sides, so a shard gives the same bits wherever it runs.
 */
export interface HostShard {
  /** The shard's rows (mixup: already mixed), flattened. */
  x: Float32Array;
  y: Float32Array;
  /** Rows of the shard. */
  size: number;
  /** Rows of the batch the shard belongs to. */
  batchRows: number;
  /** mixup: the partner's label of each row and lambda (float32, as shipped). */
  mix?: { partnerY: Float32Array; lambda: number };
  /** distillation: the shard's part of the step's public batch and the teacher's rows for it. */
  distill?: { x: Float32Array; teacher: Float32Array; rows: number; batchRows: number };
}

/** Tensors of a shard (the caller disposes them). */
export interface ShardTensors {
  x: tf.Tensor;
  y: tf.Tensor;
  batchRows: number;
  mix?: { partnerY: tf.Tensor; lambda: number };
  distill?: { x: tf.Tensor; teacher: tf.Tensor; batchRows: number };
}

export function shardTensors(
  host: HostShard,
  sampleShape: readonly number[],
  xDtype: tf.DataType,
  yDtype: tf.DataType,
): ShardTensors {
  const t: ShardTensors = {
    x: tf.tensor(host.x, [host.size, ...sampleShape], xDtype),
    y: tf.tensor1d(host.y, yDtype),
    batchRows: host.batchRows,
  };
  if (host.mix)
    t.mix = { partnerY: tf.tensor1d(host.mix.partnerY, yDtype), lambda: host.mix.lambda };
  const d = host.distill;
  if (d && d.rows > 0) {
    t.distill = {
      x: tf.tensor(d.x, [d.rows, ...sampleShape], xDtype),
      teacher: tf.tensor2d(d.teacher, [d.rows, d.teacher.length / d.rows]),
      batchRows: d.batchRows,
    };
  }
  return t;
}

export function disposeShard(t: ShardTensors): void {
  tf.dispose([t.x, t.y]);
  if (t.mix) t.mix.partnerY.dispose();
  if (t.distill) tf.dispose([t.distill.x, t.distill.teacher]);
}
