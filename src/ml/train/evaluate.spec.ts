import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { expectTensorsClose, withLeakCheck } from '../../../test/support/tensors';
import { selectBackend } from '../backend';
import { buildZooModel } from '../zoo/zoo';
import { inferenceBatchSize, predictBatches } from './evaluate';

describe('inference in batches', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  test('inferenceBatchSize: a power of two near 2^16 input values, between 32 and 1024', () => {
    assert.equal(inferenceBatchSize([28, 28, 1]), 64); // 65536 / 784 = 83.6
    assert.equal(inferenceBatchSize([30]), 1024);
    assert.equal(inferenceBatchSize([28, 28, 3]), 32); // 27.9, raised to 32
    assert.equal(inferenceBatchSize([224, 224, 3]), 32);
    assert.equal(inferenceBatchSize([null, 64]), 1024);
  });

  test('small inputs: each batch is one model pass, rows equal one model.predict over all, no leaks', async () => {
    const model = buildZooModel('mlp', { inputShape: [5], numClasses: 3, hidden: [8], seed: 2 });
    const x = tf.randomNormal([70, 5], 0, 1, 'float32', 3);
    const passes: number[] = [];
    const predict = model.predict.bind(model);
    model.predict = (input, args) => {
      passes.push(args?.batchSize ?? 32);
      return predict(input, args);
    };
    await withLeakCheck(async () => {
      const y = predictBatches(model, x, 64);
      const all = predict(x) as tf.Tensor;
      expectTensorsClose(y, all, 1e-6);
      tf.dispose([y, all]);
    });
    assert.deepEqual(passes, [64, 6]);
    // Large inputs: batches of 256 still reach the model in passes of 32 (activation memory).
    passes.length = 0;
    const wide = tf.zeros([40, 120, 120, 3]);
    const cnn = buildZooModel('small-cnn', { inputShape: [120, 120, 3], numClasses: 2, seed: 1 });
    const cnnPredict = cnn.predict.bind(cnn);
    cnn.predict = (input, args) => {
      passes.push(args?.batchSize ?? 32);
      return cnnPredict(input, args);
    };
    tf.dispose(predictBatches(cnn, wide, 256));
    assert.deepEqual(passes, [32]);
    tf.dispose([wide]);
    cnn.dispose();
    x.dispose();
    model.dispose();
  });
});
