import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Rng } from '../../platform/core/rng';
import { selectBackend } from '../backend';
import { type LabelledBatch } from '../train/channel-ablation';
import { crossEntropy } from '../train/evaluate';
import { configureDataParallel } from '../train/parallel';
import { channelAblationLosses } from '../train/parallel-ablation';
import { enableThreadDataParallel } from './replica-pool';

/** Conv (4 channels) + batch norm + ReLU, dense (5 units), softmax head: 4 + 4 + 5 hooked units. */
function net(): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [6, 6, 1],
        filters: 4,
        kernelSize: 3,
        name: 'conv',
        kernelInitializer: init(1),
      }),
      tf.layers.batchNormalization({ name: 'bn', betaInitializer: 'ones' }),
      tf.layers.reLU(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 5, activation: 'relu', name: 'fc', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(3) }),
    ],
  });
}

function batches(sizes: number[], seed: number): LabelledBatch[] {
  const rng = new Rng(seed);
  return sizes.map((n) => ({
    xs: tf.tensor4d(
      Array.from({ length: n * 36 }, () => rng.normal(0, 1)),
      [n, 6, 6, 1],
    ),
    ys: tf.tensor1d(
      Array.from({ length: n }, () => rng.int(0, 2)),
      'int32',
    ),
  }));
}

describe('DELTA channel ablation over worker threads', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  after(() => configureDataParallel(undefined));

  test('2 threads: bitwise the one-thread losses; each = L(w* \\ j) by hand (Li et al. 2019, sec. 3.3)', async () => {
    const model = net();
    const data = batches([7, 5, 6], 11);
    const hooks = ['conv', 'bn', 'fc'];
    const before = model.getWeights().map((w) => w.dataSync().slice());
    configureDataParallel(undefined);
    const one = await channelAblationLosses(model, hooks, data, 'cross-entropy');
    assert.equal(one.threads, 1);
    enableThreadDataParallel(2);
    const two = await channelAblationLosses(model, hooks, data, 'cross-entropy', {
      threads: 2,
      waitForReplicas: true,
    });
    assert.equal(two.threads, 2);
    assert.equal(two.units, 13);
    assert.deepEqual(two.channels, [4, 4, 5]);
    assert.deepEqual(Array.from(two.losses), Array.from(one.losses));
    assert.deepEqual(two.base, one.base);
    // Scoring while the replica starts: whatever the cut (here the main thread may finish before
    // the replica is ready), the same bits.
    const overlapped = await channelAblationLosses(model, hooks, data, 'cross-entropy', {
      threads: 2,
    });
    assert.deepEqual(Array.from(overlapped.losses), Array.from(one.losses));
    // The model is as it was.
    model.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), before[i]));
    // Reference: unit 9 = channel 1 of 'fc' (kernel column 1 and bias 1 zeroed), unit 6 =
    // channel 2 of 'bn' (gamma 2 and beta 2 zeroed), on a copy built by hand.
    const removedLoss = (layer: string, channel: number, batch: LabelledBatch): number => {
      const copy = net();
      copy.setWeights(model.getWeights());
      const l = copy.getLayer(layer);
      const ws = l.getWeights();
      const zeroed = ws.map((w, i) => {
        if (layer === 'bn' && i >= 2) return w; // moving statistics stay
        const v = w.arraySync();
        const zero = (a: unknown): unknown =>
          Array.isArray(a) && Array.isArray(a[0])
            ? a.map(zero)
            : (a as number[]).map((x, k) => (k === channel ? 0 : x));
        return tf.tensor(zero(v) as number[], w.shape);
      });
      l.setWeights(zeroed);
      const value = tf.tidy(
        () => crossEntropy(copy.predict(batch.xs) as tf.Tensor, batch.ys).dataSync()[0],
      );
      copy.dispose();
      return value;
    };
    for (let b = 0; b < data.length; b++) {
      assert.equal(two.losses[9 * data.length + b], removedLoss('fc', 1, data[b]));
      assert.equal(two.losses[6 * data.length + b], removedLoss('bn', 2, data[b]));
    }
    configureDataParallel(undefined);
    for (const b of data) tf.dispose([b.xs, b.ys]);
    model.dispose();
  });

  test('a loss function of this thread, or too little work for auto: one thread', async () => {
    enableThreadDataParallel('auto', { shards: 2 });
    const model = net();
    const data = batches([4], 3);
    const auto = await channelAblationLosses(model, ['conv'], data, 'cross-entropy');
    assert.equal(auto.threads, 1);
    const own = await channelAblationLosses(model, ['conv'], data, crossEntropy, { threads: 2 });
    assert.equal(own.threads, 1);
    assert.deepEqual(Array.from(own.losses), Array.from(auto.losses));
    configureDataParallel(undefined);
    for (const b of data) tf.dispose([b.xs, b.ys]);
    model.dispose();
  });
});
