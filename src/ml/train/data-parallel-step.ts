import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from './evaluate';
import type { GradientTransform, TrainSet } from './gradient-step';
import type { StepFn } from './loop';
import type { ReplicaPool } from './parallel';
import { splitBatch } from './parallel';
import type { GroupedOptimizer } from './param-groups';

/**
 * The data-parallel twin of gradientStep (default cross-entropy loss only): the batch is split
 * into 1 + pool.replicas contiguous shards; the main thread publishes the weights, hands each
 * worker replica its shard, computes the gradients of shard 0 itself meanwhile, then averages
 * the shards' gradients weighted by shard size (the gradient of the batch's mean loss, exactly
 * up to float rounding, when the loss has no batch coupling: see docs/ml.md for batch norm) and
 * applies one optimizer update. Batch-norm moving statistics are averaged the same way.
 */
export function dataParallelStep(o: {
  model: tf.LayersModel;
  train: TrainSet;
  variables: tf.Variable[];
  optimizer: GroupedOptimizer;
  transformGradients?: GradientTransform;
  pool: ReplicaPool;
}): StepFn {
  const { model, train, variables, pool } = o;
  const weights = model.weights.map((w) => w.read() as tf.Variable);
  const trainedSet = new Set<tf.Variable>(variables);
  const state = weights.filter((w) => !trainedSet.has(w));

  // The replicas' rows are copied on the host from one copy of the training set: a wasm gather
  // plus dataSync per shard cost ~10 ms a step on a loaded 2-core machine, the copy ~0.05 ms.
  const hostX = train.x.dataSync();
  const hostY = train.y.dataSync();
  const rowLength = train.x.size / train.x.shape[0];

  return (batch, info) => {
    // A last partial batch smaller than the thread count leaves the spare replicas idle instead
    // of running them on empty shards (tfjs takes the mean of nothing as 0; no work either way).
    const shards = splitBatch(batch, Math.min(1 + pool.replicas, batch.length));
    const active = shards.length - 1;
    pool.publish(weights.map((w) => w.dataSync()));
    for (let r = 0; r < active; r++) {
      const shard = shards[r + 1];
      const x = new Float32Array(shard.length * rowLength);
      const y = new Float32Array(shard.length);
      shard.forEach((row, j) => {
        x.set(hostX.subarray(row * rowLength, (row + 1) * rowLength), j * rowLength);
        y[j] = hostY[row];
      });
      pool.start(r, x, y, shard.length);
    }
    const stateBefore = state.map((s) => s.dataSync().slice());
    let correct: tf.Scalar | undefined;
    const own = tf.tidy(() => {
      const idx = tf.tensor1d(shards[0], 'int32');
      const xb = tf.gather(train.x, idx);
      const yb = tf.gather(train.y, idx);
      return tf.variableGrads(() => {
        const out = model.apply(xb, { training: true }) as tf.Tensor;
        correct = tf.keep(
          tf.sum(tf.cast(tf.equal(tf.argMax(out, -1), tf.cast(yb, 'int32')), 'float32')),
        ) as tf.Scalar;
        return crossEntropy(out, yb);
      }, variables);
    });
    const results = Array.from({ length: active }, (_, r) => pool.wait(r));
    const n = batch.length;
    const w0 = shards[0].length / n;
    try {
      const loss = tf.tidy(() => {
        // Gradient of the batch's mean loss = sum over shards of (shard size / n) x shard gradient.
        let offset = 0;
        const grads: tf.NamedTensorMap = {};
        // On the host: one pass per variable instead of 3 kernels per variable and replica.
        for (const v of variables) {
          const mine = own.grads[v.name].dataSync();
          const g = new Float32Array(v.size);
          for (let k = 0; k < v.size; k++) g[k] = w0 * mine[k];
          for (let r = 0; r < results.length; r++) {
            const part = results[r].grads;
            const weight = shards[r + 1].length / n;
            for (let k = 0; k < v.size; k++) g[k] += weight * part[offset + k];
          }
          grads[v.name] = tf.tensor(g, v.shape);
          offset += v.size;
        }
        o.optimizer.apply(
          o.transformGradients ? o.transformGradients(grads, info) : grads,
          info.step,
        );
        averageState(
          state,
          stateBefore,
          results.map((res, r) => ({ state: res.state, weight: shards[r + 1].length / n })),
        );
        let total = own.value.dataSync()[0] * w0;
        results.forEach((res, r) => (total += res.loss * (shards[r + 1].length / n)));
        return tf.scalar(total);
      });
      const allCorrect = tf.tidy(() =>
        tf.add(
          correct as tf.Scalar,
          results.reduce((a, res) => a + res.correct, 0),
        ),
      ) as tf.Scalar;
      return { loss, correct: allCorrect };
    } finally {
      tf.dispose([own.value, ...Object.values(own.grads)]);
      correct?.dispose();
    }
  };
}

/**
 * Non-trained weights after the step: the main thread's value moved by each replica's change,
 * weighted by shard size (for batch-norm moving means that is the moving average of the batch's
 * mean). Written as before + sum of weight x (replica - before) on the replicas' side so that a
 * weight no replica changes (a frozen layer's kernel) keeps its exact value.
 */
function averageState(
  state: readonly tf.Variable[],
  before: readonly tf.TypedArray[],
  replicas: readonly { state: Float32Array; weight: number }[],
): void {
  let offset = 0;
  state.forEach((s, i) => {
    const mainNow = s.dataSync();
    const prior = before[i];
    const next = new Float32Array(s.size);
    let changed = false;
    for (let k = 0; k < s.size; k++) {
      // Main's shard weight is 1 - sum of the replicas' weights.
      let value = prior[k];
      let mainWeight = 1;
      for (const r of replicas) {
        value += r.weight * (r.state[offset + k] - prior[k]);
        mainWeight -= r.weight;
      }
      value += mainWeight * (mainNow[k] - prior[k]);
      next[k] = value;
      if (value !== mainNow[k]) changed = true;
    }
    if (changed) s.assign(tf.tensor(next, s.shape, s.dtype));
    offset += s.size;
  });
}
