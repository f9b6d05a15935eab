import * as tf from '@tensorflow/tfjs';
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../backend';
import { withLeakCheck, expectTensorsClose } from '../../../test/support/tensors';
import { trainModel } from '../train/trainer';
import { ValidationError } from '../../platform/errors/domain-error';
import { evaluate } from '../train/evaluate';
import { buildZooModel, ZOO_MODEL_NAMES, ZooModelName, ZooOptions } from './zoo';

// Tiny shapes keep each model under a second; the point is wiring, shapes and leaks.
const OPTIONS: Record<ZooModelName, ZooOptions> = {
  'small-cnn': { inputShape: [12, 12, 1], numClasses: 3, width: 4 },
  'small-resnet': { inputShape: [12, 12, 1], numClasses: 3, width: 4 },
  mobilenet: { inputShape: [12, 12, 1], numClasses: 3, width: 4 },
  mlp: { inputShape: [6], numClasses: 3, hidden: [8] },
  'text-classifier': {
    inputShape: [7],
    numClasses: 3,
    vocabSize: 20,
    embeddingDim: 4,
    lstmUnits: 3,
  },
};

function tinyData(name: ZooModelName, n: number): { x: tf.Tensor; y: tf.Tensor } {
  const shape = [n, ...OPTIONS[name].inputShape];
  const x =
    name === 'text-classifier'
      ? tf.randomUniform(shape, 0, 20, 'int32', 1)
      : tf.randomNormal(shape, 0, 1, 'float32', 1);
  return {
    x,
    y: tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 3),
      'int32',
    ),
  };
}

describe('model zoo', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  for (const name of ZOO_MODEL_NAMES) {
    test(`${name}: output [batch, numClasses] summing to 1 (softmax head) and 2 training steps without leaks`, async () => {
      await tf.setBackend('cpu');
      await withLeakCheck(async () => {
        const model = buildZooModel(name, { ...OPTIONS[name], seed: 3 });
        const data = tinyData(name, 8);
        const out = model.predict(data.x) as tf.Tensor;
        assert.deepEqual(out.shape, [8, 3]);
        tf.tidy(() => expectTensorsClose(tf.sum(out, -1), tf.ones([8]), 1e-5));
        out.dispose();
        const res = await trainModel(model, data, { epochs: 1, batchSize: 4, learningRate: 0.01 });
        assert.equal(res.steps, 2);
        assert.ok(Number.isFinite(res.history[0].loss));
        tf.dispose([data.x, data.y]);
        model.dispose();
      }, name);
    });
  }

  test('same seed, same weights; different seed, different weights', () => {
    const a = buildZooModel('small-cnn', { ...OPTIONS['small-cnn'], seed: 7 });
    const b = buildZooModel('small-cnn', { ...OPTIONS['small-cnn'], seed: 7 });
    const c = buildZooModel('small-cnn', { ...OPTIONS['small-cnn'], seed: 8 });
    const wa = a.getWeights()[0].dataSync();
    expectTensorsClose(wa, b.getWeights()[0].dataSync(), 0);
    assert.notDeepEqual(Array.from(wa), Array.from(c.getWeights()[0].dataSync()));
    [a, b, c].forEach((m) => m.dispose());
  });

  test('bad options are rejected naming the field', () => {
    assert.throws(
      () => buildZooModel('small-cnn', { inputShape: [28, 28], numClasses: 10 }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'inputShape',
    );
    assert.throws(
      () => buildZooModel('mlp', { inputShape: [4], numClasses: 1 }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'numClasses',
    );
    assert.throws(
      () => buildZooModel('vgg', { inputShape: [4], numClasses: 2 }),
      (e: unknown) => e instanceof ValidationError && /known: small-cnn/.test(e.message),
    );
  });

  test('every zoo model trains one step on the wasm backend (needs the composite gradient kernels)', async () => {
    await selectBackend('wasm');
    try {
      for (const name of ZOO_MODEL_NAMES) {
        await withLeakCheck(async () => {
          const model = buildZooModel(name, { ...OPTIONS[name], seed: 1 });
          const data = tinyData(name, 4);
          const res = await trainModel(model, data, {
            epochs: 1,
            batchSize: 4,
            learningRate: 0.01,
          });
          assert.ok(Number.isFinite(res.history[0].loss), `${name} loss on wasm`);
          tf.dispose([data.x, data.y]);
          model.dispose();
        }, `${name} on wasm`);
      }
    } finally {
      await tf.setBackend('cpu');
    }
  });

  // Class c lights quadrant c of a 12x12 image on a uniform background (pixels in [0, 1], mean far
  // from the (0, 1) a fresh batch-norm layer assumes), so a net learns it in a few dozen steps.
  function quadrants(n: number): { x: tf.Tensor; y: tf.Tensor } {
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    const x = tf.tidy(() => {
      const masks = [0, 1, 2].map((c) =>
        tf.pad(tf.ones([6, 6, 1]), [
          [c === 2 ? 6 : 0, c === 2 ? 0 : 6],
          [c === 1 ? 6 : 0, c === 1 ? 0 : 6],
          [0, 0],
        ]),
      );
      const base = tf.stack(labels.map((c) => masks[c]));
      return tf.add(tf.mul(base, 0.5), tf.randomUniform([n, 12, 12, 1], 0.3, 0.5, 'float32', 7));
    });
    return { x, y: tf.tensor1d(labels, 'int32') };
  }

  test('mobilenet: after 48 steps its inference mode (batch-norm moving statistics) scores what its training batches do', async () => {
    await tf.setBackend('cpu');
    const model = buildZooModel('mobilenet', { ...OPTIONS.mobilenet, seed: 5 });
    const data = quadrants(96);
    const res = await trainModel(model, data, {
      epochs: 4,
      batchSize: 8,
      learningRate: 0.01,
      optimizer: { name: 'adam' },
      seed: 1,
    });
    const fit = res.history.at(-1)?.accuracy ?? 0;
    const inference = evaluate(model, data.x, data.y, { numClasses: 3 }).accuracy;
    // Keras' momentum 0.99 kept 62% of the initial moving statistics after 48 steps: the
    // net fitted its batches (~1.0) and scored ~1/3 in inference mode.
    assert.ok(fit > 0.9, `fits its batches: ${fit}`);
    assert.ok(inference > 0.9, `inference-mode accuracy ${inference} (batches ${fit})`);
    tf.dispose([data.x, data.y]);
    model.dispose();
  });
});
