import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { selectBackend } from '../../../ml/backend';
import { buildZooModel } from '../../../ml/models/zoo';
import { expectTensorsClose, withLeakCheck } from '../../../ml/testing';
import { filterNorms, keepLargest, pruneFilters } from './filter-pruning';

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
});
