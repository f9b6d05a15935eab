import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { selectBackend } from '../../../ml/backend';
import { buildZooModel } from '../../../ml/models/zoo';
import { expectTensorsClose, withLeakCheck } from '../../../ml/testing';
import { trainModel } from '../../../ml/train/trainer';
import { filterNorms, keepLargest, pruneFilters, pruneTiedFilters } from './filter-pruning';

// Own file (own process): it switches the engine to the wasm backend the service uses.
describe('filter pruning on the wasm backend', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  test('a pruned model predicts on wasm (regression: FusedConv2D rank-1 bias) with the kept outputs unchanged', async () => {
    assert.equal(tf.getBackend(), 'wasm');
    const m = buildZooModel('small-cnn', {
      inputShape: [8, 8, 1],
      numClasses: 3,
      width: 4,
      seed: 2,
    });
    await withLeakCheck(async () => {
      const p = await pruneFilters(m, 'conv1', 1);
      const keep = keepLargest(filterNorms(m, 'conv1'), 1);
      tf.tidy(() => {
        const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 3);
        const sub = (model: tf.LayersModel): tf.Tensor =>
          tf
            .model({
              inputs: model.inputs,
              outputs: model.getLayer('conv1').output as tf.SymbolicTensor,
            })
            .predict(x) as tf.Tensor;
        expectTensorsClose(sub(p), tf.gather(sub(m), keep, 3), 1e-5);
        assert.deepEqual((p.predict(x) as tf.Tensor).shape, [2, 3]);
      });
      p.dispose();
    });
    m.dispose();
  });

  test('pruned small-resnet (first conv and a tied group) and mobilenet predict and train a step on wasm', async () => {
    const opts = { inputShape: [8, 8, 1], numClasses: 3, width: 4, seed: 4 };
    const resnet = buildZooModel('small-resnet', opts);
    const mobilenet = buildZooModel('mobilenet', opts);
    const set = {
      x: tf.randomNormal([6, 8, 8, 1], 0, 1, 'float32', 8),
      y: tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'),
    };
    await withLeakCheck(async () => {
      const half = await pruneFilters(resnet, 'block2_a_conv', 3);
      const r = await pruneTiedFilters(half, 'block2_proj_conv', 2);
      half.dispose();
      const m = await pruneFilters(mobilenet, 'dws1_pw', 3);
      const keep = keepLargest(filterNorms(resnet, 'block2_a_conv'), 3);
      tf.tidy(() => {
        const sub = (model: tf.LayersModel): tf.Tensor =>
          tf
            .model({
              inputs: model.inputs,
              outputs: model.getLayer('block2_a_bn').output as tf.SymbolicTensor,
            })
            .predict(set.x) as tf.Tensor;
        expectTensorsClose(sub(r), tf.gather(sub(resnet), keep, 3), 1e-5);
        assert.deepEqual((m.predict(set.x) as tf.Tensor).shape, [6, 3]);
      });
      for (const p of [r, m]) {
        const h = await trainModel(p, set, {
          epochs: 1,
          batchSize: 6,
          learningRate: 0.01,
          seed: 1,
        });
        assert.ok(Number.isFinite(h.history[0].loss));
        p.dispose();
      }
    });
    tf.dispose([set.x, set.y]);
    resnet.dispose();
    mobilenet.dispose();
  });
});
