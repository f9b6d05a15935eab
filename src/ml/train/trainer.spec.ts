import * as tf from '@tensorflow/tfjs';
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { selectBackend } from '../backend';
import { expectTensorsClose, withLeakCheck } from '../../../test/support/tensors';
import { buildZooModel } from '../zoo/zoo';
import { loadModelFromBuffers, ModelBuffers } from '../io/buffers';
import { evaluate } from './evaluate';
import { EpochMetrics, trainModel } from './trainer';
import { makeOptimizer, type ScheduledOptimizer } from './optimizers';

/** Two Gaussian blobs at (+2, +2) and (-2, -2), sd 0.5: linearly separable with margin. */
function blobs(n: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const rng = new Rng(seed);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const m = c === 0 ? 2 : -2;
    xs.push(rng.normal(m, 0.5), rng.normal(m, 0.5));
    ys.push(c);
  }
  return { x: tf.tensor2d(xs, [n, 2]), y: tf.tensor1d(ys, 'int32') };
}

function mlp(seed = 1): tf.LayersModel {
  return buildZooModel('mlp', { inputShape: [2], numClasses: 2, hidden: [8], seed });
}

/**
 * mlp(2) trained 3 epochs on blobs(64, 4) in one run, and in two (1 epoch, then resumed at
 * initialEpoch 1), the two-run one with `carried` as its carriedOptimizer if given.
 */
async function oneRunAndTwo(
  name: 'sgd' | 'adam',
  learningRate: number,
  carried?: ScheduledOptimizer,
): Promise<{ one: tf.LayersModel; two: tf.LayersModel }> {
  const train = blobs(64, 4);
  const options = { batchSize: 8, learningRate, optimizer: { name }, seed: 9 };
  const one = mlp(2);
  await trainModel(one, train, { ...options, epochs: 3 });
  const two = mlp(2);
  const resume = { ...options, ...(carried ? { carriedOptimizer: carried } : {}) };
  await trainModel(two, train, { ...resume, epochs: 1 });
  await trainModel(two, train, { ...resume, epochs: 3, initialEpoch: 1 });
  tf.dispose([train.x, train.y]);
  return { one, two };
}

describe('training loop', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  test('learns a linearly separable problem (train and validation accuracy 1), no leaks', async () => {
    await withLeakCheck(async () => {
      const train = blobs(200, 1);
      const val = blobs(100, 2);
      const model = mlp();
      const seen: EpochMetrics[] = [];
      const res = await trainModel(model, train, {
        epochs: 5,
        batchSize: 16,
        learningRate: 0.05,
        optimizer: { name: 'adam' },
        validation: val,
        seed: 3,
        onEpochEnd: (m) => void seen.push(m),
      });
      assert.equal(res.stoppedBy, 'completed');
      assert.equal(res.steps, 5 * 13);
      assert.equal(seen.length, 5);
      const last = res.history[4];
      assert.ok(last.loss < res.history[0].loss);
      assert.equal(last.accuracy, 1);
      assert.equal(last.val_accuracy, 1);
      tf.dispose([train.x, train.y, val.x, val.y]);
      model.dispose();
    });
  });

  test('same seed, same result (seeded shuffling and initialisation)', async () => {
    const run = async (): Promise<number> => {
      const train = blobs(64, 4);
      const model = mlp(2);
      const res = await trainModel(model, train, {
        epochs: 2,
        batchSize: 8,
        learningRate: 0.1,
        optimizer: { name: 'sgd' },
        seed: 9,
      });
      tf.dispose([train.x, train.y]);
      model.dispose();
      return res.history[1].loss;
    };
    assert.equal(await run(), await run());
  });

  test("a run resumed at initialEpoch from the previous epoch's weights ends exactly where an uninterrupted run ends (plain SGD has no optimizer state)", async () => {
    const { one, two } = await oneRunAndTwo('sgd', 0.1);
    const [a, b] = [one, two].map((m) => m.getWeights());
    for (let i = 0; i < a.length; i++) expectTensorsClose(b[i], a[i], 1e-6);
    one.dispose();
    two.dispose();
  });

  test("adam's state carried across runs (carriedOptimizer): a resumed run ends where an uninterrupted one ends, a fresh optimizer does not", async () => {
    const carried = makeOptimizer({ name: 'adam' }, 0.05);
    const withState = await oneRunAndTwo('adam', 0.05, carried);
    const fresh = await oneRunAndTwo('adam', 0.05);
    const [a, b, c] = [withState.one, withState.two, fresh.two].map((m) => m.getWeights());
    for (let i = 0; i < a.length; i++) expectTensorsClose(b[i], a[i], 1e-6);
    // adam restarted with zero moments takes other steps (its first is lr * sign(g) per weight).
    const gap = tf.tidy(() =>
      Math.max(...a.map((w, i) => tf.max(tf.abs(tf.sub(w, c[i]))).dataSync()[0])),
    );
    assert.ok(gap > 1e-3, `restarted adam should differ, max gap ${gap}`);
    carried.dispose();
    for (const m of [withState.one, withState.two, fresh.one, fresh.two]) m.dispose();
  });

  test('early stopping restores the weights of the best validation epoch', async () => {
    await withLeakCheck(async () => {
      const train = blobs(64, 5);
      // A validation set with flipped labels: its loss rises as the model learns, so the best
      // epoch is an early one and patience runs out.
      const val = blobs(32, 6);
      const flipped = tf.sub(1, val.y) as tf.Tensor1D;
      const model = mlp(3);
      const snapshots: Float32Array[] = [];
      const res = await trainModel(model, train, {
        epochs: 20,
        batchSize: 8,
        learningRate: 0.05,
        validation: { x: val.x, y: flipped },
        earlyStopping: { monitor: 'val_loss', patience: 2 },
        onEpochEnd: () =>
          void snapshots.push(model.getWeights()[0].dataSync().slice() as Float32Array),
      });
      assert.equal(res.stoppedBy, 'early-stopping');
      const losses = res.history.map((m) => m.val_loss as number);
      const bestEpoch = losses.indexOf(Math.min(...losses));
      assert.equal(res.bestEpoch, bestEpoch);
      assert.ok(bestEpoch < res.history.length - 1);
      const w = model.getWeights()[0];
      expectTensorsClose(w.dataSync(), snapshots[bestEpoch], 0);
      tf.dispose([train.x, train.y, val.x, val.y, flipped]);
      model.dispose();
    });
  });

  test('freezing all but the head changes only the head; a zeroing gradient transform changes nothing', async () => {
    await withLeakCheck(async () => {
      const train = blobs(32, 7);
      const model = mlp(4);
      // By layer name: model.getWeights() lists trainable weights first, so its order changes.
      const weightsOf = (name: string) =>
        model
          .getLayer(name)
          .getWeights()
          .map((w) => w.dataSync().slice());
      const before = { fc1: weightsOf('fc1'), head: weightsOf('head') };
      const res = await trainModel(model, train, {
        epochs: 1,
        batchSize: 8,
        learningRate: 0.1,
        freeze: { kind: 'all-but-head' },
      });
      assert.deepEqual(res.frozenLayers, ['fc1']);
      assert.deepEqual(weightsOf('fc1'), before.fc1);
      assert.notDeepEqual(weightsOf('head')[0], before.head[0]);
      const after = { fc1: weightsOf('fc1'), head: weightsOf('head') };

      await trainModel(model, train, {
        epochs: 1,
        batchSize: 8,
        learningRate: 0.1,
        optimizer: { name: 'sgd' },
        transformGradients: (g) =>
          Object.fromEntries(Object.entries(g).map(([k, v]) => [k, tf.zerosLike(v)])),
      });
      assert.deepEqual({ fc1: weightsOf('fc1'), head: weightsOf('head') }, after);
      tf.dispose([train.x, train.y]);
      model.dispose();
    });
  });

  test('a gradientFn sees separate gradients (the DTNH hook) and its loss is reported', async () => {
    await withLeakCheck(async () => {
      const train = blobs(16, 8);
      const model = mlp(5);
      let calls = 0;
      const res = await trainModel(model, train, {
        epochs: 1,
        batchSize: 8,
        learningRate: 0.01,
        optimizer: { name: 'momentum', momentum: 0.9 },
        gradientFn: (ctx) => {
          calls++;
          const task = ctx.gradientsOf(
            () =>
              tf.losses.softmaxCrossEntropy(
                tf.oneHot(ctx.y as tf.Tensor1D, 2),
                ctx.forward(ctx.x),
              ) as tf.Scalar,
          );
          const reg = ctx.gradientsOf(
            () => tf.addN(ctx.variables.map((v) => tf.sum(tf.square(v)))) as tf.Scalar,
          );
          assert.deepEqual(Object.keys(task.grads).sort(), Object.keys(reg.grads).sort());
          // d/dw sum(w^2) = 2w: the regulariser gradient of the first variable is twice its value.
          expectTensorsClose(reg.grads[ctx.variables[0].name], tf.mul(2, ctx.variables[0]), 1e-6);
          const grads = Object.fromEntries(
            Object.keys(task.grads).map((k) => [k, tf.add(task.grads[k], reg.grads[k])]),
          );
          return { loss: tf.add(task.value, reg.value) as tf.Scalar, grads };
        },
      });
      assert.equal(calls, 2);
      assert.ok(Number.isFinite(res.history[0].loss));
      assert.ok(res.history[0].accuracy !== undefined);
      tf.dispose([train.x, train.y]);
      model.dispose();
    });
  });

  test('cancellation stops before the next step; checkpoints reload to the same predictions; cosine LR reported', async () => {
    await withLeakCheck(async () => {
      const train = blobs(40, 9);
      const model = mlp(6);
      let steps = 0;
      const res = await trainModel(model, train, {
        epochs: 3,
        batchSize: 10,
        learningRate: 0.1,
        shouldStop: () => ++steps > 6,
      });
      assert.equal(res.stoppedBy, 'cancelled');
      assert.equal(res.steps, 6);
      assert.equal(res.history.length, 1);

      const ckpts: ModelBuffers[] = [];
      const hist = await trainModel(model, train, {
        epochs: 2,
        batchSize: 10,
        learningRate: 0.1,
        schedule: { kind: 'cosine', warmupEpochs: 0 },
        onCheckpoint: (_e, c) => void ckpts.push(c),
      });
      // cosine over 8 steps: the last step of epoch 0 is step 3, lr (1 + cos(3 pi / 8)) / 2 * 0.1.
      assert.ok(
        Math.abs(hist.history[0].learningRate - 0.05 * (1 + Math.cos((3 * Math.PI) / 8))) < 1e-12,
      );
      assert.equal(ckpts.length, 2);
      const restored = await loadModelFromBuffers(ckpts[1].modelJson, ckpts[1].weights);
      tf.tidy(() =>
        expectTensorsClose(
          restored.predict(train.x) as tf.Tensor,
          model.predict(train.x) as tf.Tensor,
          0,
        ),
      );
      restored.dispose();
      tf.dispose([train.x, train.y]);
      model.dispose();
    });
  });

  test('freeze from layer K and resume at initialEpoch (step LR continues from the resumed step)', async () => {
    await withLeakCheck(async () => {
      const train = blobs(20, 10);
      const model = buildZooModel('mlp', {
        inputShape: [2],
        numClasses: 2,
        hidden: [4, 4],
        seed: 7,
      });
      const fc1 = model.getLayer('fc1').getWeights()[0].dataSync().slice();
      const res = await trainModel(model, train, {
        epochs: 4,
        initialEpoch: 2,
        batchSize: 10,
        learningRate: 0.1,
        optimizer: { name: 'sgd' },
        schedule: { kind: 'step', everyEpochs: 1, gamma: 0.5 },
        freeze: { kind: 'from-layer', index: 1 },
      });
      assert.deepEqual(res.frozenLayers, ['fc1']);
      assert.deepEqual(model.getLayer('fc1').getWeights()[0].dataSync(), fc1);
      // Epochs 2 and 3 ran (steps 4..7); lr at epoch e is 0.1 * 0.5^e.
      assert.deepEqual(
        res.history.map((m) => [m.epoch, m.learningRate]),
        [
          [2, 0.025],
          [3, 0.0125],
        ],
      );
      assert.equal(res.steps, 8);
      tf.dispose([train.x, train.y]);
      model.dispose();
    });
  });

  test('evaluate: confusion matrix, precision and recall equal the hand count', async () => {
    await withLeakCheck(async () => {
      // A 3-class "argmax of the input" classifier: dense kernel 10*I, no bias.
      const model = tf.sequential();
      model.add(
        tf.layers.dense({ inputShape: [3], units: 3, activation: 'softmax', useBias: false }),
      );
      tf.tidy(() => model.setWeights([tf.mul(10, tf.eye(3))]));
      const x = tf.tensor2d([
        [1, 0, 0],
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [0, 1, 0],
      ]);
      const y = tf.tensor1d([0, 1, 1, 2, 2], 'int32');
      const ev = evaluate(model, x, y, { batchSize: 2 });
      // predicted 0,0,1,2,1: confusion[true][pred].
      assert.deepEqual(ev.confusion, [
        [1, 0, 0],
        [1, 1, 0],
        [0, 1, 1],
      ]);
      assert.equal(ev.accuracy, 3 / 5);
      assert.deepEqual(ev.precision, [1 / 2, 1 / 2, 1]);
      assert.deepEqual(ev.recall, [1, 1 / 2, 1 / 2]);
      // -log(p + 1e-7): correct rows p = e^10/(e^10+2), wrong rows p = 1/(e^10+2).
      const z = Math.exp(10) + 2;
      const nll = (p: number) => -Math.log(p + 1e-7);
      const want = (3 * nll(Math.exp(10) / z) + 2 * nll(1 / z)) / 5;
      assert.ok(Math.abs(ev.loss - want) < 1e-4, `${ev.loss} vs ${want}`);
      tf.dispose([x, y]);
      model.dispose();
    });
  });
});
