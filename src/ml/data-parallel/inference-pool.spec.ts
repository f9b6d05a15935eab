import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Rng } from '../../platform/core/rng';
import { selectBackend } from '../backend';
import { predictBatches, predictBatchesAsync } from '../train/evaluate';
import { configureDataParallel, type InferencePool } from '../train/parallel';
import {
  chunkRows,
  inferencePoolCount,
  inferenceReplicas,
  mainRows,
  parkInferencePools,
  releaseInferenceThreads,
  waitForInferenceReplicas,
} from '../train/parallel-predict';
import { readParallelMeter } from '../train/thread-meter';
import { enableThreadDataParallel } from './replica-pool';
import { parkedReplicaThreads } from './replica-threads';

function net(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [16, 16, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({
        units: 5,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
}

function bytes(t: tf.Tensor): Buffer {
  return Buffer.from((t.dataSync() as Float32Array).buffer);
}

describe('bulk prediction over inference replicas (worker threads)', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  after(() => configureDataParallel(undefined));

  test('600 images on 2 threads: bitwise the one-thread outputs, in row order; new weights are used', async () => {
    const rng = new Rng(3);
    // 600 x 256 values: chunks of at least MIN_CHUNK_VALUES.
    const x = tf.tensor4d(
      Array.from({ length: 600 * 256 }, () => rng.normal(0, 1)),
      [600, 16, 16, 1],
    );
    const model = net();
    try {
      for (let round = 0; round < 2; round++) {
        configureDataParallel(undefined);
        const single = predictBatches(model, x, 1024);
        enableThreadDataParallel(2);
        // Round 0 starts the replica without blocking: a cold thread takes far longer to start
        // than this call, which runs on one thread (no round split); then wait for it so that
        // the call below splits.
        if (round === 0) {
          const before = readParallelMeter().rounds;
          tf.dispose(predictBatches(model, x, 1024));
          assert.equal(readParallelMeter().rounds, before, 'the cold start did not block');
        }
        waitForInferenceReplicas();
        const rounds = readParallelMeter().rounds;
        const threaded = predictBatches(model, x, 1024);
        assert.ok(readParallelMeter().rounds > rounds, 'the call was split over the replica');
        assert.equal(inferenceReplicas(model, x), 1, 'one replica beside the main thread');
        assert.deepEqual(threaded.shape, [600, 5]);
        assert.ok(bytes(single).equals(bytes(threaded)), `round ${round}: bitwise equal`);
        tf.dispose([single, threaded]);
        // The replica takes the weights of every call: change them and predict again.
        const kernel = model.layers[0].getWeights()[0];
        model.layers[0].setWeights([tf.mul(kernel, -0.5), model.layers[0].getWeights()[1]]);
      }
    } finally {
      releaseInferenceThreads();
      assert.equal(inferenceReplicas(model, x), 0);
      model.dispose();
      x.dispose();
    }
  });

  test('small inputs stay on one thread (no replica started)', () => {
    enableThreadDataParallel(2);
    const model = net();
    const x = tf.zeros([10, 16, 16, 1]);
    releaseInferenceThreads();
    const y = predictBatches(model, x);
    assert.deepEqual(y.shape, [10, 5]);
    assert.equal(inferenceReplicas(model, x), 0);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('chunks: an even share per thread, in whole passes once a share holds one', () => {
    // LIME's calls of 128 images, passes of 64: one pass per thread.
    assert.equal(chunkRows(128, 2, 64, 1e6), 64);
    // 1000 rows on 2 threads: 8 passes each (the last round takes the rest).
    assert.equal(chunkRows(1000, 2, 64, 1e6), 512);
    // Less than a pass each: an even share.
    assert.equal(chunkRows(64, 2, 64, 1e6), 32);
    assert.equal(chunkRows(25, 2, 64, 1e6), 13);
    // Bounded by the replica's buffer.
    assert.equal(chunkRows(1000, 2, 64, 100), 100);
  });

  test('pipelined calls: bitwise the one-thread outputs whatever the main thread is busy with between them; an overlapping call collects the last one first', async () => {
    releaseInferenceThreads();
    const model = net();
    // 128 x 256 values per call: two chunks of at least MIN_CHUNK_VALUES.
    const xs = [5, 6, 7].map((seed) => tf.randomNormal([128, 16, 16, 1], 0, 1, 'float32', seed));
    try {
      configureDataParallel(undefined);
      const single = xs.map((x) => bytes(tf.tidy(() => predictBatches(model, x))));
      enableThreadDataParallel(2);
      tf.dispose(predictBatches(model, xs[0]));
      waitForInferenceReplicas();
      // Calls with more and more work between them (the main thread's share of the rows
      // shrinks as the pool measures it), in the order image LIME makes them.
      for (let call = 0; call < 8; call++) {
        const i = call % xs.length;
        const pending = predictBatchesAsync(model, xs[i]);
        const spin = performance.now() + 2 * call;
        while (performance.now() < spin);
        const y = await pending;
        assert.ok(bytes(y).equals(single[i]), `call ${call}: bitwise equal`);
        y.dispose();
      }
      assert.equal(inferenceReplicas(model, xs[0]), 1);
      // Two calls out at once: the second collects the first's replica chunk before reusing it.
      const first = predictBatchesAsync(model, xs[0]);
      const second = predictBatchesAsync(model, xs[1]);
      const [a, b] = await Promise.all([first, second]);
      assert.ok(bytes(a).equals(single[0]) && bytes(b).equals(single[1]), 'both bitwise equal');
      tf.dispose([a, b]);
    } finally {
      releaseInferenceThreads();
      configureDataParallel(undefined);
      model.dispose();
      tf.dispose(xs);
    }
  });

  test("the main thread's rows balance its chunk plus the caller's work against a replica's chunk", () => {
    // Hand cases: m * cm + s = (n - m) / R * cr.
    const even = { mainNsPerRow: 1, replicaNsPerRow: 1, betweenNs: 0 };
    assert.equal(mainRows(64, 1, even), 32);
    assert.equal(mainRows(64, 1, { ...even, betweenNs: 16 }), 24, '24 + 16 = 40 = 64 - 24');
    assert.equal(mainRows(64, 1, { ...even, betweenNs: 100 }), 0, 'all rows to the replica');
    // A replica twice as slow per row: m = 2 (64 - m) -> 43 (42.67).
    assert.equal(mainRows(64, 1, { ...even, replicaNsPerRow: 2 }), 43);
    // Three replicas: m = (96 - m) / 3 -> 24.
    assert.equal(mainRows(96, 3, even), 24);
    // Nothing measured yet: an even share.
    assert.equal(mainRows(64, 1, { mainNsPerRow: NaN, replicaNsPerRow: NaN, betweenNs: NaN }), 32);
  });

  test('a pool released for idleness parks its thread warm: the next model takes it (no new thread), same bits; release stops it', () => {
    releaseInferenceThreads();
    const a = net();
    // Another topology (5 -> 3 classes): its own pool.
    const b = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 2, kernelSize: 3 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    const x = tf.randomNormal([256, 16, 16, 1], 0, 1, 'float32', 8);
    try {
      configureDataParallel(undefined);
      const single = bytes(tf.tidy(() => predictBatches(b, x)));
      enableThreadDataParallel(2);
      tf.dispose(predictBatches(a, x));
      waitForInferenceReplicas();
      assert.equal(parkedReplicaThreads(), 0);
      // What IDLE_MS idle does: the replica stops serving, its thread stays warm.
      parkInferencePools();
      assert.equal(inferencePoolCount(), 0);
      assert.equal(parkedReplicaThreads(), 1, 'one warm thread parked');
      tf.dispose(predictBatches(b, x));
      assert.equal(parkedReplicaThreads(), 0, "b's pool took the parked thread");
      const t = performance.now();
      waitForInferenceReplicas();
      const warmMs = performance.now() - t;
      const rounds = readParallelMeter().rounds;
      const y = predictBatches(b, x);
      assert.ok(readParallelMeter().rounds > rounds, 'split over the warm replica');
      assert.ok(bytes(y).equals(single), 'bitwise the one-thread outputs');
      y.dispose();
      // Logged, not asserted (load-dependent): a warm start builds the model only.
      console.log(`  warm replica ready after ${warmMs.toFixed(0)} ms more`);
      parkInferencePools();
      assert.equal(parkedReplicaThreads(), 1);
    } finally {
      releaseInferenceThreads();
      assert.equal(parkedReplicaThreads(), 0, 'release stops the parked threads too');
      configureDataParallel(undefined);
      a.dispose();
      b.dispose();
      x.dispose();
    }
  });

  test('a model the replicas cannot build (a layer class registered on the main thread only): one thread, same bits, the pool dropped', async () => {
    releaseInferenceThreads();
    /** Doubles its input: a layer the replica threads do not know. */
    class MainThreadOnly extends tf.layers.Layer {
      static className = 'MainThreadOnlyDoubling';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 2);
      }
    }
    tf.serialization.registerClass(MainThreadOnly);
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [16, 16, 1] }),
        new MainThreadOnly({}),
        tf.layers.dense({
          units: 3,
          kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
        }),
      ],
    });
    const x = tf.randomNormal([256, 16, 16, 1], 0, 1, 'float32', 9);
    try {
      configureDataParallel(undefined);
      const single = bytes(tf.tidy(() => predictBatches(model, x)));
      enableThreadDataParallel(2);
      const rounds = readParallelMeter().rounds;
      // Calls until the replica's failure is seen (its start fails within seconds).
      const deadline = performance.now() + 60_000;
      do {
        const y = predictBatches(model, x);
        assert.ok(bytes(y).equals(single), 'bitwise the one-thread outputs');
        y.dispose();
        await new Promise((r) => setTimeout(r, 50));
      } while (inferencePoolCount() > 0 && performance.now() < deadline);
      assert.equal(inferencePoolCount(), 0, 'the failed pool is dropped');
      assert.equal(readParallelMeter().rounds, rounds, 'no call was split');
      tf.dispose(predictBatches(model, x));
      assert.equal(inferencePoolCount(), 0, 'and not started again for this model');
    } finally {
      releaseInferenceThreads();
      configureDataParallel(undefined);
      model.dispose();
      x.dispose();
    }
  });

  test('a job of many calls publishes the weights once, and again only after they change', () => {
    releaseInferenceThreads();
    const model = net();
    let published = 0;
    const pending: tf.TypedArray[] = [];
    // A pool on this thread: the same model predicts the replica's rows.
    const fake = (): InferencePool => ({
      replicas: 1,
      maxRows: 10_000,
      publish: () => void published++,
      start: (_r, x) => void pending.push(x.slice()),
      wait: () =>
        tf.tidy(() => {
          const rows = pending.shift() as tf.TypedArray;
          const y = model.predict(tf.tensor4d(rows, [rows.length / 256, 16, 16, 1]));
          return (y as tf.Tensor).dataSync() as Float32Array;
        }),
      dispose: () => undefined,
    });
    configureDataParallel({
      threads: 2,
      shards: 2,
      host: () => ({ cores: 2, busyElsewhere: 0 }),
      factory: () => Promise.reject(new Error('no training here')),
      inference: fake,
    });
    const x = tf.randomNormal([256, 16, 16, 1], 0, 1, 'float32', 4);
    try {
      for (let call = 0; call < 5; call++) tf.dispose(predictBatches(model, x));
      assert.equal(inferenceReplicas(model, x), 1);
      assert.equal(published, 1, 'five calls, one publication');
      const kernel = model.layers[0].getWeights()[0];
      model.layers[0].setWeights([tf.mul(kernel, 2), model.layers[0].getWeights()[1]]);
      for (let call = 0; call < 3; call++) tf.dispose(predictBatches(model, x));
      assert.equal(published, 2, 'new weights published once more');
    } finally {
      releaseInferenceThreads();
      configureDataParallel(undefined);
      model.dispose();
      x.dispose();
    }
  });
});
