import * as tf from '@tensorflow/tfjs';
import type { GradientTransform, TrainSet, WeightPenaltyFn } from './gradient-step';
import type { StepFn } from './loop';
import type { ReplicaPool, ReplicaResult } from './parallel';
import { MIN_SHARD, splitBatch } from './parallel';
import {
  type DistillationSpec,
  disposeShard,
  type HostShard,
  type MixupDraw,
  type MixupSpec,
  shardTensors,
} from './row-objectives';
import { type FeaturePenalty, shardGradients, type ShardOptions } from './shard-gradients';
import type { GroupedOptimizer } from './param-groups';
import { weightedShardSum } from './shard-sum';
import { threadCpuNs } from './thread-cpu';
import { meterRound, parallelMeter } from './thread-meter';

/**
 * The sharded twin of gradientStep (default cross-entropy loss, optionally a weight penalty):
 * every batch is split into a fixed number of contiguous shards (`shards`, from the
 * configuration and the batch size, never from the load); each shard's gradient of its mean
 * loss is computed from the same weights, by the main thread or by a worker replica (shard s
 * goes to thread s mod threads; with no pool the main thread computes them all in sequence);
 * then the shards' gradients are summed on the host in shard order, weighted by shard size. The
 * same wasm kernels on the same shapes give the same bits on any thread, and the sums run in
 * the same order whichever thread computed a shard, so a seeded run gives bitwise the same
 * weights with 1, 2 or `shards` threads. One optimizer update per batch; a weight penalty
 * (fine-tuning's l2/l2sp/DTNH, DELTA's head decay) is applied once, to the batch's task
 * gradient. A feature penalty (DELTA's feature maps against the source network's) is a sum over
 * rows, so each shard adds its own rows' part to its loss (shardGradients) and the batch's value
 * is the shards' sum.
 *
 * Batch norm normalises each shard with its own statistics (ghost batch norm, as PyTorch DDP
 * without SyncBatchNorm); the moving statistics become the shard-size-weighted average of every
 * shard's update from the step's starting values (docs/ml.md).
 */
export function shardedStep(o: {
  model: tf.LayersModel;
  train: TrainSet;
  variables: tf.Variable[];
  optimizer: GroupedOptimizer;
  transformGradients?: GradientTransform;
  penalty?: WeightPenaltyFn;
  /** DELTA's feature penalty, computed per shard (the pool's replicas were built with it). */
  featurePenalty?: FeaturePenalty;
  /**
   * DTNH over DELTA: each shard returns the feature penalty's gradient apart from the task's;
   * `penalty` gets both sums (PenaltyContext.featureGrads) and combines them.
   */
  separateFeatures?: boolean;
  /** mixup: one draw per batch, here; the shards get mixed rows and the partners' labels. */
  mixup?: MixupSpec;
  /** Distillation: one public batch per step, drawn here, split over the shards with its soft labels. */
  distillation?: DistillationSpec;
  shards: number;
  pool?: ReplicaPool;
}): StepFn {
  const { model, train, variables, pool } = o;
  const weights = model.weights.map((w) => w.read() as tf.Variable);
  const trainedSet = new Set<tf.Variable>(variables);
  const state = weights.filter((w) => !trainedSet.has(w));
  const threads = 1 + (pool?.replicas ?? 0);
  const featurePenalty = o.featurePenalty;
  const { mixup, distillation } = o;
  // mixup and distillation shards are built on the host for every thread, the main thread too.
  const hostShards = mixup !== undefined || distillation !== undefined;
  const shardOptions: ShardOptions = {
    ...(featurePenalty ? { features: featurePenalty } : {}),
    ...(o.separateFeatures ? { separateFeatures: true } : {}),
    ...(distillation
      ? { distillation: { temperature: distillation.temperature, weight: distillation.weight } }
      : {}),
  };

  // The replicas' rows are copied on the host from one copy of the training set: a wasm gather
  // plus dataSync per shard cost ~10 ms a step on a loaded 2-core machine, the copy ~0.05 ms.
  const hostX = pool || hostShards ? (train.x.dataSync() as Float32Array) : undefined;
  const hostY = pool || hostShards ? train.y.dataSync() : undefined;
  const rowLength = train.x.size / train.x.shape[0];
  const hostPublic = distillation
    ? {
        x: distillation.publicX.dataSync() as Float32Array,
        teacher: distillation.teacher.dataSync() as Float32Array,
        rowLength: distillation.publicX.size / distillation.publicX.shape[0],
        classes: distillation.teacher.shape[1] ?? 1,
      }
    : undefined;

  /**
   * Shard `positions` (indices into the batch) as host arrays: rows copied (mixup: mixed with
   * their partners' rows in float32, as the unsharded tf.mul/tf.add do), labels, and the shard's
   * part of the public batch with the teacher's rows.
   */
  const buildShard = (
    batch: readonly number[],
    positions: readonly number[],
    draw?: MixupDraw,
    publicPart?: { rows: readonly number[]; batchRows: number },
  ): HostShard => {
    if (!hostX || !hostY) throw new Error('no host copy of the training set');
    const size = positions.length;
    const x = new Float32Array(size * rowLength);
    const y = new Float32Array(size);
    positions.forEach((p, j) => {
      const row = batch[p];
      y[j] = hostY[row];
      if (!draw) {
        x.set(hostX.subarray(row * rowLength, (row + 1) * rowLength), j * rowLength);
        return;
      }
      const other = batch[draw.partner[p]];
      const l = Math.fround(draw.lambda);
      const m = Math.fround(1 - draw.lambda);
      for (let c = 0; c < rowLength; c++) {
        const a = Math.fround(hostX[row * rowLength + c] * l);
        const b = Math.fround(hostX[other * rowLength + c] * m);
        x[j * rowLength + c] = a + b;
      }
    });
    const shard: HostShard = { x, y, size, batchRows: batch.length };
    if (draw) {
      const partnerY = Float32Array.from(positions, (p) => hostY[batch[draw.partner[p]]]);
      shard.mix = { partnerY, lambda: Math.fround(draw.lambda) };
    }
    if (publicPart && hostPublic) {
      const { rows } = publicPart;
      const { rowLength: width, classes } = hostPublic;
      const px = new Float32Array(rows.length * width);
      const teacher = new Float32Array(rows.length * classes);
      rows.forEach((row, j) => {
        px.set(hostPublic.x.subarray(row * width, (row + 1) * width), j * width);
        teacher.set(hostPublic.teacher.subarray(row * classes, (row + 1) * classes), j * classes);
      });
      shard.distill = { x: px, teacher, rows: rows.length, batchRows: publicPart.batchRows };
    }
    return shard;
  };

  /** One shard on this thread, from the step's starting weights (state restored if moved). */
  const computeHere = (
    shard: { rows: number[] } | { host: HostShard },
    batchRows: number,
    stateBefore: tf.TypedArray[],
    moved: boolean,
  ): ReplicaResult => {
    if (moved) state.forEach((s, i) => restore(s, stateBefore[i]));
    const tensors =
      'host' in shard
        ? shardTensors(shard.host, train.x.shape.slice(1), train.x.dtype, train.y.dtype)
        : tf.tidy(() => {
            const idx = tf.tensor1d(shard.rows, 'int32');
            return { x: tf.gather(train.x, idx), y: tf.gather(train.y, idx), batchRows };
          });
    try {
      const result = shardGradients(model, variables, tensors, shardOptions);
      const stateNow = new Float32Array(state.reduce((a, s) => a + s.size, 0));
      let at = 0;
      for (const s of state) {
        stateNow.set(s.dataSync(), at);
        at += s.size;
      }
      return { ...result, state: stateNow };
    } finally {
      disposeShard(tensors);
    }
  };

  return (batch, info) => {
    // A last partial batch gets fewer shards (never under MIN_SHARD rows): still a function of
    // the batch size only.
    const stepCpu = pool ? threadCpuNs() : NaN;
    let ownCpu = 0;
    const count = Math.max(1, Math.min(o.shards, Math.floor(batch.length / MIN_SHARD)));
    const positions = splitBatch(
      batch.map((_, p) => p),
      count,
    );
    const shards = positions.map((part) => part.map((p) => batch[p]));
    // The step's randomness, drawn here once per batch whatever the threads (as unsharded).
    const draw = mixup?.draw(batch.length);
    const publicRows = distillation?.publicRows();
    const publicParts = publicRows ? splitBatch(publicRows, count) : undefined;
    const host = (s: number): HostShard =>
      buildShard(
        batch,
        positions[s],
        draw,
        publicParts && publicRows
          ? { rows: publicParts[s], batchRows: publicRows.length }
          : undefined,
      );
    if (pool) pool.publish(weights.map((w) => w.dataSync()));
    const stateBefore = state.map((s) => s.dataSync().slice());
    const results: ReplicaResult[] = new Array<ReplicaResult>(shards.length);
    let moved = false;
    // Rounds of `threads` shards: shard s on thread s mod threads (0 = this thread).
    for (let first = 0; first < shards.length; first += threads) {
      const round = Math.min(threads, shards.length - first);
      for (let t = 1; t < round; t++) (pool as ReplicaPool).start(t - 1, host(first + t));
      const mine = hostShards ? { host: host(first) } : { rows: shards[first] };
      const ownStart = pool ? threadCpuNs() : NaN;
      results[first] = computeHere(mine, batch.length, stateBefore, moved);
      moved = true;
      if (!pool) continue;
      const own = threadCpuNs() - ownStart;
      ownCpu += own;
      const blocked = performance.now();
      const replicaCpu: number[] = [];
      for (let t = 1; t < round; t++) {
        results[first + t] = pool.wait(t - 1);
        replicaCpu.push(pool.commandCpuNs?.(t - 1) ?? NaN);
        parallelMeter.replicaWallNs += pool.commandWallNs?.(t - 1) ?? 0;
      }
      parallelMeter.mainBlockedNs += (performance.now() - blocked) * 1e6;
      meterRound(own, replicaCpu);
    }
    const n = batch.length;
    const weightOf = shards.map((s) => s.length / n);
    const loss = tf.tidy(() => {
      // Gradient of the batch's mean loss = sum over shards, in shard order, of
      // (shard size / n) x the shard's gradient; on the host, per variable (shard-sum.ts).
      const grads: tf.NamedTensorMap = {};
      const parts = results.map((res) => res.grads);
      let offset = 0;
      for (const v of variables) {
        grads[v.name] = tf.tensor(weightedShardSum(parts, weightOf, offset, v.size), v.shape);
        offset += v.size;
      }
      let featureGrads: tf.NamedTensorMap | undefined;
      if (o.separateFeatures) {
        featureGrads = {};
        const featureParts = results.map((res) => {
          if (!res.featureGrads) throw new Error('a shard without its feature gradients');
          return res.featureGrads;
        });
        let at = 0;
        for (const v of variables) {
          featureGrads[v.name] = tf.tensor(
            weightedShardSum(featureParts, weightOf, at, v.size),
            v.shape,
          );
          at += v.size;
        }
      }
      let total = 0;
      results.forEach((res, s) => (total += weightOf[s] * res.loss));
      let stepLoss = tf.scalar(total);
      let stepGrads = grads;
      // The feature penalty is a sum over rows: the shards' sums add up, in shard order.
      let featureSum = 0;
      for (const res of results) featureSum += res.featurePenalty;
      const featureTerm = featurePenalty ? { featurePenalty: tf.scalar(featureSum) } : {};
      if (o.penalty) {
        ({ loss: stepLoss, grads: stepGrads } = o.penalty({
          ...info,
          variables,
          taskLoss: stepLoss,
          taskGrads: grads,
          ...featureTerm,
          ...(featureGrads ? { featureGrads } : {}),
          gradientsOf: (f) => tf.variableGrads(f, variables),
        }));
      } else if (featurePenalty) stepLoss = tf.add(stepLoss, featureSum);
      o.optimizer.apply(
        o.transformGradients ? o.transformGradients(stepGrads, info) : stepGrads,
        info.step,
      );
      averageState(state, stateBefore, results, weightOf);
      return stepLoss;
    });
    // mixup reports no accuracy (its rows are mixed), as the unsharded step.
    const hits = results.reduce((a, res) => a + res.correct, 0);
    if (pool) parallelMeter.mainOutsideNs += threadCpuNs() - stepCpu - ownCpu;
    return { loss, correct: Number.isNaN(hits) ? undefined : tf.scalar(hits) };
  };
}

/** Puts a variable back to `value` if a pass moved it (batch-norm moving statistics do). */
function restore(s: tf.Variable, value: tf.TypedArray): void {
  const now = s.dataSync();
  for (let k = 0; k < value.length; k++) {
    if (now[k] !== value[k]) {
      // In a tidy: the temporary tensor goes, the variable keeps its data.
      tf.tidy(() => s.assign(tf.tensor(value, s.shape, s.dtype)));
      return;
    }
  }
}

/**
 * Non-trained weights after the step: the step's starting value moved by each shard's change,
 * weighted by shard size and summed in shard order (for batch-norm moving means that is the
 * moving average of the batch's mean). A weight no shard changed (a frozen layer's kernel) keeps
 * its exact value.
 */
function averageState(
  state: readonly tf.Variable[],
  before: readonly tf.TypedArray[],
  shards: readonly ReplicaResult[],
  weightOf: readonly number[],
): void {
  let offset = 0;
  state.forEach((s, i) => {
    const prior = before[i];
    const next = new Float32Array(s.size);
    let changed = false;
    for (let k = 0; k < s.size; k++) {
      let value = prior[k];
      shards.forEach((r, j) => (value += weightOf[j] * (r.state[offset + k] - prior[k])));
      next[k] = value;
      if (next[k] !== prior[k]) changed = true;
    }
    // Unchanged by every shard means unchanged by this thread's passes too: nothing to write.
    if (changed) s.assign(tf.tensor(next, s.shape, s.dtype));
    offset += s.size;
  });
}
