import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { modelCost } from '../../../ml/cost';
import { buildZooModel } from '../../../ml/models/zoo';
import { expectTensorsClose, withLeakCheck } from '../../../ml/testing';
import { ValidationError } from '../../../platform/errors/domain-error';
import {
  filterNorms,
  keepLargest,
  prunableLayers,
  pruneFilters,
  pruneModel,
} from './filter-pruning';
import { pruneSearch, uniformPrune } from './prune-search';

const smallCnn = (): tf.LayersModel =>
  buildZooModel('small-cnn', { inputShape: [8, 8, 1], numClasses: 3, width: 4, seed: 3 });

function sub(model: tf.LayersModel, layer: string): tf.LayersModel {
  return tf.model({
    inputs: model.inputs,
    outputs: model.getLayer(layer).output as tf.SymbolicTensor,
  });
}

describe('filter pruning', () => {
  test('prunable layers of the zoo small CNN: every conv/dense followed by a consumer (not the head)', () => {
    const m = smallCnn();
    assert.deepEqual(
      prunableLayers(m).map((p) => `${p.name}:${p.size}`),
      ['conv1:4', 'conv2:8', 'fc1:64'],
    );
    m.dispose();
  });

  test('keepLargest drops the k smallest norms (ties by index)', () => {
    assert.deepEqual(keepLargest([3, 1, 2, 1, 5], 2), [0, 2, 4]);
    assert.throws(() => keepLargest([1, 2], 2), ValidationError);
  });

  test('removing 2 of 4 conv1 filters cuts FLOPs and params by the hand-computed amounts', async () => {
    const m = smallCnn();
    await withLeakCheck(async () => {
      const p = await pruneFilters(m, 'conv1', 2);
      const before = modelCost(m);
      const after = modelCost(p);
      // conv1 on 8x8: 256 -> 128 outputs of 2*9*1 + 1 FLOPs: -2432; pool1 4x4x4 -> 4x4x2, 4 ops
      // each: -128; conv2's 128 outputs lose 2 input channels: 2*9*2 = 36 FLOPs each: -4608.
      assert.equal(before.flops - after.flops, 2432 + 128 + 4608);
      // conv1 40 -> 20 params; conv2 9*4*8 + 8 = 296 -> 9*2*8 + 8 = 152.
      assert.equal(before.params - after.params, 20 + 144);
      assert.equal(after.params, p.countParams());
      p.dispose();
    });
    m.dispose();
  });

  test('the kept filters produce exactly the original outputs, and the model still predicts', async () => {
    const m = smallCnn();
    await withLeakCheck(async () => {
      const p = await pruneFilters(m, 'conv2', 3);
      const keep = keepLargest(filterNorms(m, 'conv2'), 3);
      const [a, b] = [sub(m, 'conv2'), sub(p, 'conv2')];
      tf.tidy(() => {
        const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 7);
        expectTensorsClose(
          b.predict(x) as tf.Tensor,
          tf.gather(a.predict(x) as tf.Tensor, keep, 3),
          1e-6,
        );
        assert.deepEqual((p.predict(x) as tf.Tensor).shape, [2, 3]);
      });
      p.dispose();
    });
    m.dispose();
  });

  test('pruning filters whose output is zero leaves the whole function unchanged (slices through Flatten and Dense)', async () => {
    const m = smallCnn();
    // Zero the kernel and bias of conv2 filters 1, 5 and fc1 units 0..9: their ReLU outputs are 0,
    // so the consumers' sliced weights must reproduce the original logits exactly.
    const zeroOut = (layer: string, idx: number[]): void => {
      const [k, bias] = m.getLayer(layer).getWeights();
      const mask = tf.tidy(() => {
        const n = k.shape[k.rank - 1] as number;
        const v = Array.from({ length: n }, (_, i) => (idx.includes(i) ? 0 : 1));
        return tf.tensor1d(v);
      });
      const nk = tf.mul(k, mask);
      const nb = tf.mul(bias, mask);
      m.getLayer(layer).setWeights([nk, nb]);
      tf.dispose([mask, nk, nb]);
    };
    zeroOut('conv2', [1, 5]);
    zeroOut('fc1', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await withLeakCheck(async () => {
      const plan = {
        conv2: keepLargest(filterNorms(m, 'conv2'), 2),
        fc1: keepLargest(filterNorms(m, 'fc1'), 10),
      };
      assert.ok(!plan.conv2.includes(1) && !plan.conv2.includes(5));
      const p = await pruneModel(m, plan);
      assert.equal((p.getLayer('fc1').getConfig() as { units: number }).units, 54);
      tf.tidy(() => {
        const x = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 11);
        expectTensorsClose(p.predict(x) as tf.Tensor, m.predict(x) as tf.Tensor, 1e-5);
      });
      p.dispose();
    });
    m.dispose();
  });

  test('per-channel layers in between (BatchNorm, DepthwiseConv2D) are sliced with the channels', async () => {
    const input = tf.input({ shape: [6, 6, 2] });
    let x = tf.layers
      .conv2d({ filters: 5, kernelSize: 3, padding: 'same', name: 'c1' })
      .apply(input) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'dw' })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'c2' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: 2, activation: 'softmax', name: 'head' })
      .apply(x) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    // Non-trivial BN statistics, so a wrong slice would show.
    const bn = m.getLayer('bn');
    const stats = [1, 2, 3, 4].map((s) => tf.randomUniform([5], 0.5, 1.5, 'float32', s));
    bn.setWeights(stats);
    tf.dispose(stats);
    await withLeakCheck(async () => {
      const p = await pruneModel(m, { c1: [0, 2, 4] });
      tf.tidy(() => {
        const xin = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 5);
        // dw output channel c*2 + j comes from input channel c: kept channels 0, 2, 4 -> 0,1,4,5,8,9.
        const orig = sub(m, 'dw').predict(xin) as tf.Tensor;
        expectTensorsClose(
          sub(p, 'dw').predict(xin) as tf.Tensor,
          tf.gather(orig, [0, 1, 4, 5, 8, 9], 3),
          1e-5,
        );
      });
      p.dispose();
    });
    m.dispose();
  });
});

describe('pruning search', () => {
  const data = (n: number, seed: number): { x: tf.Tensor; y: tf.Tensor } => ({
    x: tf.randomNormal([n, 8, 8, 1], 0, 1, 'float32', seed),
    y: tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 3),
      'int32',
    ),
  });

  test('every family member meets its FLOPs budget; uniform pruning meets it too; no leaks', async () => {
    const m = smallCnn();
    const train = data(48, 1);
    const validation = data(24, 2);
    await withLeakCheck(async () => {
      const opts = {
        train,
        validation,
        budgets: [0.75, 0.4],
        fineTuneEpochs: 1,
        stepFraction: 0.25,
      };
      // The greedy path alone (the comparison with uniform pruning is the next test).
      const r = await pruneSearch(m, { ...opts, compareUniform: false });
      assert.equal(r.family.length, 2);
      for (const f of r.family) {
        assert.ok(
          f.met && f.cost.flops <= f.target,
          `budget ${f.budget}: ${f.cost.flops} > ${f.target}`,
        );
        assert.equal(f.target, f.budget * r.original.cost.flops);
        assert.equal(modelCost(f.model).flops, f.cost.flops);
      }
      // The tighter budget continues from the looser one: its widths are never larger.
      for (const [k, w] of Object.entries(r.family[1].widths))
        assert.ok(w <= r.family[0].widths[k]);
      assert.ok(r.steps.length > 0);
      const u = await uniformPrune(m, 0.4, opts);
      assert.ok(u.met && u.cost.flops <= u.target);
      const sizes = Object.values(u.widths);
      assert.ok(sizes.every((s, i) => s < [4, 8, 64][i]));
      for (const f of [...r.family, u]) f.model.dispose();
    });
    tf.dispose([train.x, train.y, validation.x, validation.y]);
    m.dispose();
  });

  test('with compareUniform (the default) no member validates worse than uniform pruning at its budget', async () => {
    const m = smallCnn();
    const train = data(48, 3);
    const validation = data(24, 4);
    await withLeakCheck(async () => {
      const opts = {
        train,
        validation,
        budgets: [0.75, 0.4],
        fineTuneEpochs: 1,
        stepFraction: 0.25,
      };
      const r = await pruneSearch(m, opts);
      for (const f of r.family) {
        // uniformPrune with the same options is the exact model the search compared against.
        const u = await uniformPrune(m, f.budget, opts);
        assert.ok(f.met, `budget ${f.budget} met`);
        assert.ok(f.accuracy >= u.accuracy, `${f.accuracy} < uniform ${u.accuracy}`);
        if (f.allocation === 'uniform') assert.deepEqual(f.widths, u.widths);
        else assert.equal(f.allocation, 'greedy');
        u.model.dispose();
        f.model.dispose();
      }
    });
    tf.dispose([train.x, train.y, validation.x, validation.y]);
    m.dispose();
  });
});
