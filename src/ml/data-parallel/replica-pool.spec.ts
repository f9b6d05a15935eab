import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Rng } from '../../platform/core/rng';
import { selectBackend } from '../backend';
import { saveModelToBuffers } from '../io/buffers';
import { crossEntropy } from '../train/evaluate';
import {
  configureDataParallel,
  dataParallelSetup,
  MIN_SHARD,
  resolveShards,
  resolveThreads,
  splitBatch,
} from '../train/parallel';
import { trainModel } from '../train/trainer';
import {
  enableThreadDataParallel,
  parkedTrainingPools,
  releaseTrainingThreads,
  ThreadReplicaPool,
} from './replica-pool';

/** A small conv net without batch norm or dropout: its loss has no coupling between examples. */
function convNet(seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(2) }),
    ],
  });
}

/** Conv + batch norm + ReLU: ghost batch norm couples the rows of each shard. */
function bnNet(momentum: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 3,
        kernelSize: 3,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
      }),
      tf.layers.batchNormalization({ momentum }),
      tf.layers.reLU(),
      tf.layers.flatten(),
      tf.layers.dense({
        units: 3,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }),
      }),
    ],
  });
}

function images(n: number, seed: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const rng = new Rng(seed);
  const xs = Array.from({ length: n * 64 }, () => rng.normal(0, 1));
  const ys = Array.from({ length: n }, (_, i) => i % 3);
  return { x: tf.tensor4d(xs, [n, 8, 8, 1]), y: tf.tensor1d(ys, 'int32') };
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('data-parallel training over worker threads', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  after(async () => {
    configureDataParallel(undefined);
    await releaseTrainingThreads();
  });

  test('shards: contiguous, sizes differ by at most one, all rows once', () => {
    const batch = Array.from({ length: 25 }, (_, i) => 100 + i);
    const shards = splitBatch(batch, 2);
    assert.deepEqual(
      shards.map((s) => s.length),
      [13, 12],
    );
    assert.deepEqual(shards.flat(), batch);
    assert.deepEqual(
      splitBatch([1, 2, 3], 3).map((s) => s.length),
      [1, 1, 1],
    );
  });

  test('shards: fixed by the setting and the batch (never under MIN_SHARD rows)', () => {
    assert.equal(resolveShards(2, 64), 2);
    assert.equal(resolveShards(8, 64), Math.floor(64 / MIN_SHARD));
    assert.equal(resolveShards(2, MIN_SHARD * 2 - 1), 1);
    assert.equal(resolveShards(1, 256), 1);
  });

  test('threads: auto = the cores the other running jobs leave free, at most one per shard', () => {
    // A lone job on a 2-core machine: 2 threads; beside another job: 1; never more than shards.
    assert.equal(resolveThreads('auto', { cores: 2, busyElsewhere: 0 }, 2), 2);
    assert.equal(resolveThreads('auto', { cores: 2, busyElsewhere: 1 }, 2), 1);
    assert.equal(resolveThreads('auto', { cores: 2, busyElsewhere: 5 }, 2), 1);
    assert.equal(resolveThreads('auto', { cores: 8, busyElsewhere: 3 }, 4), 4);
    assert.equal(resolveThreads('auto', { cores: 8, busyElsewhere: 0 }, 2), 2);
    assert.equal(resolveThreads(4, { cores: 2, busyElsewhere: 2 }, 4), 4);
    assert.equal(resolveThreads(4, { cores: 8, busyElsewhere: 0 }, 1), 1);
  });

  test('gradients averaged over 2 shards (weighted by size) = the full batch gradient, 1e-5', async () => {
    const model = convNet(3);
    const data = images(25, 5);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const weights = model.weights.map((w) => w.read());
    const { modelJson, weights: bytes } = await saveModelToBuffers(model);
    const pool = await ThreadReplicaPool.start({
      replicas: 1,
      modelJson,
      weights: bytes,
      sizes: weights.map((w) => w.size),
      trainable: vars.map((v) => weights.indexOf(v)),
      frozenLayers: [],
      backend: tf.getBackend(),
      sampleShape: [8, 8, 1],
      xDtype: 'float32',
      yDtype: 'int32',
      maxShard: 13,
    });
    try {
      const [a, b] = splitBatch(
        Array.from({ length: 25 }, (_, i) => i),
        2,
      );
      pool.publish(weights.map((w) => w.dataSync()));
      const rows = (idx: number[]) => tf.gather(data.x, idx);
      const labels = (idx: number[]) => tf.gather(data.y, idx);
      pool.start(0, {
        x: rows(b).dataSync() as Float32Array,
        y: labels(b).dataSync() as unknown as Float32Array,
        size: b.length,
        batchRows: 25,
      });
      const lossOf = (x: tf.Tensor, y: tf.Tensor) => () =>
        crossEntropy(model.apply(x, { training: true }) as tf.Tensor, y);
      const own = tf.variableGrads(lossOf(rows(a), labels(a)), vars);
      const replica = pool.wait(0);
      const full = tf.variableGrads(lossOf(data.x, data.y), vars);
      let offset = 0;
      for (const v of vars) {
        const theirs = tf.tensor(replica.grads.subarray(offset, offset + v.size), v.shape);
        const averaged = tf.add(tf.mul(own.grads[v.name], 13 / 25), tf.mul(theirs, 12 / 25));
        assert.ok(maxAbsDiff(averaged, full.grads[v.name]) < 1e-5, v.name);
        offset += v.size;
      }
      const loss = (own.value.dataSync()[0] * 13 + replica.loss * 12) / 25;
      assert.ok(Math.abs(loss - full.value.dataSync()[0]) < 1e-5);
    } finally {
      await pool.dispose();
      model.dispose();
    }
  });

  test('a seeded run: bitwise the same weights with 1 and 2 threads (2 shards), plain and BN CNN', async () => {
    enableThreadDataParallel(1, { shards: 2 });
    // 101 rows in batches of 32: three batches of 2 shards, then 5 rows, too few to split.
    const data = images(101, 9);
    for (const [name, build] of [
      ['plain CNN', () => convNet(4)],
      ['BN CNN', () => bnNet(0.9)],
    ] as const) {
      const runs = [];
      for (const threads of [1, 2]) {
        const model = build();
        const tensorsBefore = tf.memory().numTensors;
        const res = await trainModel(model, data, {
          epochs: 3,
          batchSize: 32,
          learningRate: 0.01,
          optimizer: { name: 'adam' },
          seed: 2,
          threads,
        });
        assert.equal(tf.memory().numTensors, tensorsBefore, `${name}: no tensor leaked`);
        assert.equal(res.threads, threads, name);
        assert.equal(res.shards, 2, name);
        runs.push({ model, res });
      }
      const [one, two] = runs;
      assert.ok((two.res.threadStartupMs ?? 0) > 0);
      assert.equal(one.res.threadStartupMs, undefined, 'one thread starts no replica');
      assert.deepEqual(
        one.res.history.map((m) => [m.loss, m.accuracy]),
        two.res.history.map((m) => [m.loss, m.accuracy]),
        `${name}: per-epoch loss and accuracy`,
      );
      one.model.weights.forEach((w, i) => {
        const a = Buffer.from((w.read().dataSync() as Float32Array).buffer);
        const b = Buffer.from((two.model.weights[i].read().dataSync() as Float32Array).buffer);
        assert.ok(a.equals(b), `${name}: ${w.name} bitwise equal`);
      });
      for (const r of runs) r.model.dispose();
    }
  });

  test('2 shards of a plain CNN = the unsharded run to float error (no coupling between rows)', async () => {
    enableThreadDataParallel(1, { shards: 2 });
    const data = images(101, 9);
    const models: tf.LayersModel[] = [];
    for (const shards of [1, 2]) {
      const model = convNet(4);
      const res = await trainModel(model, data, {
        epochs: 3,
        batchSize: 32,
        learningRate: 0.01,
        optimizer: { name: 'adam' },
        seed: 2,
        threads: 2,
        shards,
      });
      assert.equal(res.shards, shards);
      models.push(model);
    }
    models[0].weights.forEach((w, i) => {
      assert.ok(maxAbsDiff(w.read(), models[1].weights[i].read()) < 1e-4, w.name);
    });
    for (const m of models) m.dispose();
  });

  test('batch norm: the moving mean after a 2-shard step = the full batch moving average, 1e-5', async () => {
    enableThreadDataParallel(2);
    // moving_mean' = m * moving_mean + (1 - m) * batch mean (linear): the shard-size-weighted
    // average of the shards' updates is the update with the full batch's mean.
    const data = images(32, 11);
    const means: Float32Array[] = [];
    for (const shards of [1, 2]) {
      const model = bnNet(0.5);
      const res = await trainModel(model, data, {
        epochs: 1,
        batchSize: 32,
        learningRate: 0.01,
        optimizer: { name: 'sgd' },
        shards,
      });
      assert.equal(res.shards, shards);
      assert.equal(res.threads, shards);
      const movingMean = model.weights.find((w) => w.name.includes('moving_mean'));
      assert.ok(movingMean);
      means.push(movingMean.read().dataSync() as Float32Array);
      model.dispose();
    }
    assert.ok(
      means[0].some((v) => Math.abs(v) > 1e-3),
      'the step moved the moving mean',
    );
    means[0].forEach((v, i) => assert.ok(Math.abs(v - means[1][i]) < 1e-5, `channel ${i}`));
  });

  test('warm replicas: the next job of the same spec takes them, bitwise the same weights as a fresh pool', async () => {
    await releaseTrainingThreads();
    enableThreadDataParallel(2);
    const setup = dataParallelSetup();
    assert.ok(setup);
    const reused: boolean[] = [];
    configureDataParallel({
      ...setup,
      factory: async (init) => {
        const pool = await ThreadReplicaPool.start(init);
        reused.push(pool.reused);
        return pool;
      },
    });
    const data = images(64, 12);
    const model = bnNet(0.9);
    const initial = model.getWeights().map((w) => w.clone());
    const finals: Float32Array[][] = [];
    for (let run = 0; run < 2; run++) {
      model.setWeights(initial);
      await trainModel(model, data, {
        epochs: 2,
        batchSize: 32,
        learningRate: 0.01,
        optimizer: { name: 'adam' },
        seed: 3,
        threads: 2,
      });
      finals.push(model.weights.map((w) => (w.read().dataSync() as Float32Array).slice()));
      assert.equal(parkedTrainingPools(), 1, 'kept warm after the job');
    }
    // The second job found the first job's replicas (holding its final weights and statistics).
    assert.deepEqual(reused, [false, true]);
    finals[0].forEach((w, i) => {
      assert.ok(Buffer.from(w.buffer).equals(Buffer.from(finals[1][i].buffer)), `weight ${i}`);
    });
    await releaseTrainingThreads();
    assert.equal(parkedTrainingPools(), 0);
    tf.dispose(initial);
    model.dispose();
  });
});
