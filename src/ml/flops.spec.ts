import * as tf from '@tensorflow/tfjs';
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from './backend';
import { buildZooModel, ZOO_MODEL_NAMES } from './zoo/zoo';
import { modelCost } from './flops';

describe('parameters and FLOPs', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  test('parameter count from per-layer formulas equals model.countParams() for every zoo model', () => {
    for (const name of ZOO_MODEL_NAMES) {
      const isText = name === 'text-classifier';
      const model = buildZooModel(name, {
        inputShape: name === 'mlp' ? [13] : isText ? [20] : [28, 28, 1],
        numClasses: 10,
        vocabSize: 50,
        lstmUnits: 8,
      });
      const cost = modelCost(model);
      assert.equal(cost.params, model.countParams(), name);
      assert.deepEqual(cost.uncounted, [], `${name} has layers without a FLOP formula`);
      model.dispose();
    }
  });

  test('FLOPs of a small Conv/Pool/Dense net equal the hand count (1 multiply-add = 2 FLOPs)', () => {
    const model = tf.sequential();
    model.add(
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        name: 'c',
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'p' }));
    model.add(tf.layers.flatten({ name: 'f' }));
    model.add(tf.layers.dense({ units: 10, name: 'd' }));
    const c = modelCost(model);
    const by = Object.fromEntries(c.layers.map((l) => [l.name, l]));
    // conv: 8*8*4 outputs * (3*3*1) MACs = 2304 MACs; + 256 bias adds -> 4864 FLOPs; 3*3*1*4+4 = 40 params.
    assert.equal(by.c.macs, 2304);
    assert.equal(by.c.flops, 2 * 2304 + 256);
    assert.equal(by.c.params, 40);
    // max pool 2x2: 4*4*4 outputs * 4 window elements.
    assert.equal(by.p.flops, 256);
    // dense 64 -> 10: 640 MACs + 10 bias adds; 650 params.
    assert.equal(by.d.flops, 2 * 640 + 10);
    assert.equal(by.d.params, 650);
    assert.equal(c.flops, 4864 + 256 + 1290);
    assert.equal(c.params, model.countParams());
    model.dispose();
  });

  test('FLOPs of depthwise, separable, batch-norm, add, embedding and LSTM layers equal the hand count', () => {
    const input = tf.input({ shape: [6, 6, 2] });
    const dw = tf.layers
      .depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid', name: 'dw' })
      .apply(input) as tf.SymbolicTensor;
    const sep = tf.layers
      .separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'sep' })
      .apply(dw) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(sep) as tf.SymbolicTensor;
    const add = tf.layers.add({ name: 'add' }).apply([bn, sep]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: add });
    const by = Object.fromEntries(modelCost(model).layers.map((l) => [l.name, l]));
    // depthwise 3x3, 2 channels x multiplier 2, valid: 4*4*4 outputs * 9 MACs = 576; bias 64.
    assert.equal(by.dw.flops, 2 * 576 + 64);
    assert.equal(by.dw.params, 3 * 3 * 2 * 2 + 4);
    // separable on 4x4x4: depthwise 4*4*4*9 = 576 + pointwise 4*4*4*4 = 256 MACs; bias 4*4*4 = 64.
    assert.equal(by.sep.flops, 2 * (576 + 256) + 64);
    assert.equal(by.sep.params, 3 * 3 * 4 + 4 * 4 + 4);
    // batch norm: 2 FLOPs per element (folded scale and shift) on 64 elements; 4 vectors of 4.
    assert.equal(by.bn.flops, 128);
    assert.equal(by.bn.params, 16);
    assert.equal(by.add.flops, 64);
    model.dispose();

    const text = tf.sequential();
    text.add(tf.layers.embedding({ inputDim: 30, outputDim: 4, inputLength: 5, name: 'emb' }));
    text.add(tf.layers.lstm({ units: 3, name: 'lstm' }));
    const t = Object.fromEntries(modelCost(text).layers.map((l) => [l.name, l]));
    assert.equal(t.emb.params, 120);
    assert.equal(t.emb.flops, 0);
    // LSTM: 4 gates * 3 units * (4 inputs + 3 recurrent) = 84 MACs per step, 5 steps;
    // + per step 12 bias adds and 12 cell-update ops.
    assert.equal(t.lstm.macs, 5 * 84);
    assert.equal(t.lstm.flops, 2 * 5 * 84 + 5 * 24);
    assert.equal(t.lstm.params, 4 * 3 * 7 + 12);
    text.dispose();
  });
});
