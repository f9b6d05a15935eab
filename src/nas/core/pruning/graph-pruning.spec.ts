import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { modelCost } from '../../../ml/cost';
import { buildZooModel } from '../../../ml/models/zoo';
import { expectTensorsClose, withLeakCheck } from '../../../ml/testing';
import { trainModel } from '../../../ml/train/trainer';
import { ValidationError } from '../../../platform/errors/domain-error';
import {
  filterNorms,
  keepLargest,
  layerPrunability,
  prunableGroups,
  prunableLayers,
  pruneFilters,
  pruneModel,
  pruneTiedFilters,
} from './filter-pruning';
import { pruneSearch } from './prune-search';

const resnet = (): tf.LayersModel =>
  buildZooModel('small-resnet', { inputShape: [8, 8, 1], numClasses: 3, width: 4, seed: 5 });
const mobilenet = (): tf.LayersModel =>
  buildZooModel('mobilenet', { inputShape: [8, 8, 1], numClasses: 3, width: 4, seed: 6 });

function sub(model: tf.LayersModel, layer: string): tf.LayersModel {
  return tf.model({
    inputs: model.inputs,
    outputs: model.getLayer(layer).output as tf.SymbolicTensor,
  });
}

/**
 * Makes channels `idx` of `conv` contribute nothing: zero filters, and BN statistics that map 0 to
 * 0 (beta = mean = 0) on those channels of each BN after it, with random statistics elsewhere so
 * that a wrongly sliced BN weight would show.
 */
function silence(model: tf.LayersModel, conv: string, bns: string[], idx: number[], seed: number) {
  const layer = model.getLayer(conv);
  const [k, ...rest] = layer.getWeights();
  const n = k.shape[k.rank - 1] as number;
  const mask = tf.tensor1d(Array.from({ length: n }, (_, i) => (idx.includes(i) ? 0 : 1)));
  const zeroed = [tf.mul(k, mask), ...rest.map((w) => tf.mul(w, mask))];
  layer.setWeights(zeroed);
  bns.forEach((name, b) => {
    const c = model.getLayer(name).getWeights()[0].shape[0] as number;
    const stats = [0, 1, 2, 3].map((j) => tf.randomUniform([c], 0.5, 1.5, 'float32', seed + b + j));
    const [gamma, beta, mean, variance] = stats;
    const masked = [gamma, tf.mul(beta, mask), tf.mul(mean, mask), variance];
    model.getLayer(name).setWeights(masked);
    tf.dispose([...stats, ...masked]);
  });
  tf.dispose([mask, ...zeroed]);
}

describe('graph-aware filter pruning (residual and depthwise models)', () => {
  test('small-resnet: the first conv of each block is prunable alone; Add-tied layers only jointly', () => {
    const m = resnet();
    assert.deepEqual(
      prunableLayers(m).map((p) => `${p.name}:${p.size}`),
      ['block1_a_conv:4', 'block2_a_conv:8', 'block3_a_conv:16'],
    );
    assert.deepEqual(prunableGroups(m), [
      { layers: ['stem_conv', 'block1_b_conv'], tiedBy: ['block1_add'], size: 4 },
      { layers: ['block2_b_conv', 'block2_proj_conv'], tiedBy: ['block2_add'], size: 8 },
      { layers: ['block3_b_conv', 'block3_proj_conv'], tiedBy: ['block3_add'], size: 16 },
    ]);
    assert.deepEqual(
      layerPrunability(m).map((p) => [p.name, p.prunable]),
      [
        ['stem_conv', 'jointly'],
        ['block1_a_conv', 'alone'],
        ['block1_b_conv', 'jointly'],
        ['block2_a_conv', 'alone'],
        ['block2_b_conv', 'jointly'],
        ['block2_proj_conv', 'jointly'],
        ['block3_a_conv', 'alone'],
        ['block3_b_conv', 'jointly'],
        ['block3_proj_conv', 'jointly'],
        ['head', 'no'],
      ],
    );
    m.dispose();
  });

  test('mobilenet: the stem and every pointwise conv (their depthwise conv loses the same channels)', () => {
    const m = mobilenet();
    assert.deepEqual(
      prunableLayers(m).map((p) => `${p.name}:${p.size}`),
      ['stem_conv:4', 'dws1_pw:8', 'dws2_pw:16', 'dws3_pw:16'],
    );
    assert.deepEqual(prunableGroups(m), []);
    m.dispose();
  });

  test('Add-tied, Concatenate-fed and output layers are refused with a reason naming the layer', async () => {
    const m = resnet();
    await withLeakCheck(async () => {
      await assert.rejects(
        () => pruneFilters(m, 'stem_conv', 1),
        (e: unknown) =>
          e instanceof ValidationError &&
          e.problems[0].field === 'plan.stem_conv' &&
          /stem_conv cannot be pruned on its own.*block1_b_conv.*block1_add/.test(
            e.problems[0].message,
          ),
      );
      // Half a tied group, or the group with different channels per member, is refused too.
      await assert.rejects(
        () => pruneModel(m, { block2_b_conv: [0, 1], block2_proj_conv: [0, 2] }),
        /block2_b_conv cannot be pruned on its own/,
      );
      await assert.rejects(() => pruneFilters(m, 'head', 1), /head cannot be pruned.*model output/);
      await assert.rejects(() => pruneFilters(m, 'block1_a_bn', 1), /BatchNormalization/);
      await assert.rejects(() => pruneFilters(m, 'nope', 1), /nope is not a layer/);
      await assert.rejects(
        () => pruneModel(m, { nope: [0] }),
        /nope is not a Conv2D, SeparableConv2D or Dense layer of this model/,
      );
    });
    m.dispose();
    // Channels that reach a Concatenate cannot be removed without re-indexing its output.
    const input = tf.input({ shape: [4, 4, 2] });
    const a = tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'a' }).apply(input);
    const b = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'b' }).apply(input);
    const cat = tf.layers.concatenate({ name: 'cat' }).apply([a, b] as tf.SymbolicTensor[]);
    const c = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }).apply(cat);
    const pooled = tf.layers.globalAveragePooling2d({}).apply(c) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, name: 'out' }).apply(pooled) as tf.SymbolicTensor;
    const g = tf.model({ inputs: input, outputs: out });
    assert.deepEqual(
      layerPrunability(g).map((p) => [p.name, p.prunable, p.reason ?? '']),
      [
        [
          'a',
          'no',
          'a cannot be pruned: it reaches cat (Concatenate), which does not keep channels apart',
        ],
        [
          'b',
          'no',
          'b cannot be pruned: it reaches cat (Concatenate), which does not keep channels apart',
        ],
        ['c', 'alone', ''],
        ['out', 'no', 'out cannot be pruned: it is a model output (out)'],
      ],
    );
    g.dispose();
  });

  test("pruning zeroed filters of a block's first conv leaves the residual network's outputs unchanged", async () => {
    const m = resnet();
    silence(m, 'block2_a_conv', ['block2_a_bn'], [1, 4, 6], 20);
    await withLeakCheck(async () => {
      const keep = keepLargest(filterNorms(m, 'block2_a_conv'), 3);
      assert.deepEqual(keep, [0, 2, 3, 5, 7]);
      const p = await pruneFilters(m, 'block2_a_conv', 3);
      assert.equal((p.getLayer('block2_a_conv').getConfig() as { filters: number }).filters, 5);
      tf.tidy(() => {
        const x = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 9);
        expectTensorsClose(p.predict(x) as tf.Tensor, m.predict(x) as tf.Tensor, 1e-5);
        // The kept channels after BN equal the original ones (BN statistics sliced along).
        expectTensorsClose(
          sub(p, 'block2_a_bn').predict(x) as tf.Tensor,
          tf.gather(sub(m, 'block2_a_bn').predict(x) as tf.Tensor, keep, 3),
          1e-5,
        );
      });
      p.dispose();
    });
    m.dispose();
  });

  test('joint pruning of an Add-tied group (stem + block1 output) with zeroed channels keeps the outputs', async () => {
    const m = resnet();
    silence(m, 'stem_conv', ['stem_bn'], [2], 30);
    silence(m, 'block1_b_conv', ['block1_b_bn'], [2], 40);
    await withLeakCheck(async () => {
      const p = await pruneTiedFilters(m, 'block1_b_conv', 1);
      for (const l of ['stem_conv', 'block1_b_conv'])
        assert.equal((p.getLayer(l).getConfig() as { filters: number }).filters, 3);
      tf.tidy(() => {
        const x = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 10);
        expectTensorsClose(p.predict(x) as tf.Tensor, m.predict(x) as tf.Tensor, 1e-5);
        expectTensorsClose(
          sub(p, 'block1_out').predict(x) as tf.Tensor,
          tf.gather(sub(m, 'block1_out').predict(x) as tf.Tensor, [0, 1, 3], 3),
          1e-5,
        );
      });
      assert.equal(modelCost(p).params, p.countParams());
      p.dispose();
    });
    m.dispose();
  });

  test('zeroed stem filters of mobilenet: the depthwise conv and its BN are sliced, outputs unchanged', async () => {
    const m = mobilenet();
    silence(m, 'stem_conv', ['stem_bn', 'dws1_dw_bn'], [0, 3], 50);
    await withLeakCheck(async () => {
      const p = await pruneFilters(m, 'stem_conv', 2);
      tf.tidy(() => {
        const x = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 12);
        expectTensorsClose(p.predict(x) as tf.Tensor, m.predict(x) as tf.Tensor, 1e-5);
      });
      p.dispose();
    });
    m.dispose();
  });

  test('FLOPs and params after pruning equal the hand counts (small-resnet block1, mobilenet stem)', async () => {
    const r = resnet();
    const mb = mobilenet();
    await withLeakCheck(async () => {
      const p = await pruneFilters(r, 'block1_a_conv', 2);
      // 8x8 maps, 4 -> 2 filters, one multiply-add = 2 FLOPs. block1_a_conv loses 64*2 outputs
      // of 9*4 MACs: 2*64*2*9*4 = 9216; block1_a_bn: 2 FLOPs per element, 2*64*2 = 256;
      // block1_b_conv's 64*4 outputs lose 2 input channels: 2*64*4*9*2 = 9216.
      assert.equal(modelCost(r).flops - modelCost(p).flops, 9216 + 256 + 9216);
      // a_conv 9*4*2 = 72, a_bn 4 per channel = 8, b_conv 9*2*4 = 72.
      assert.equal(modelCost(r).params - modelCost(p).params, 72 + 8 + 72);
      assert.equal(modelCost(p).params, p.countParams());
      p.dispose();
      const q = await pruneFilters(mb, 'stem_conv', 2);
      // 4x4 maps after the strided stem: stem 2*16*9*1*2 = 576, stem_bn 2*16*2 = 64,
      // dws1_dw 2*16*9*2 = 576, dws1_dw_bn 64, dws1_pw (1x1, 8 filters) 2*16*2*8 = 512.
      assert.equal(modelCost(mb).flops - modelCost(q).flops, 576 + 64 + 576 + 64 + 512);
      // stem 9*2, stem_bn 4*2, dw 9*2, dw_bn 4*2, pw 2*8.
      assert.equal(mb.countParams() - q.countParams(), 18 + 8 + 18 + 8 + 16);
      q.dispose();
    });
    r.dispose();
    mb.dispose();
  });

  test('a pruned small-resnet still trains: one SGD step lowers the loss on its batch', async () => {
    const m = resnet();
    await withLeakCheck(async () => {
      const half = await pruneFilters(m, 'block3_a_conv', 8);
      const p = await pruneTiedFilters(half, 'block3_b_conv', 8);
      half.dispose();
      const set = {
        x: tf.randomNormal([16, 8, 8, 1], 0, 1, 'float32', 3),
        y: tf.tensor1d(
          Array.from({ length: 16 }, (_, i) => i % 3),
          'int32',
        ),
      };
      const before = p.getLayer('block3_proj_conv').getWeights()[0].dataSync().slice();
      const r = await trainModel(p, set, { epochs: 2, batchSize: 16, learningRate: 0.05, seed: 1 });
      assert.equal(r.history.length, 2);
      assert.ok(Number.isFinite(r.history[0].loss));
      assert.ok(r.history[1].loss < r.history[0].loss, JSON.stringify(r.history));
      const after = p.getLayer('block3_proj_conv').getWeights()[0].dataSync();
      assert.ok(
        after.some((v, i) => v !== before[i]),
        'the pruned layers were trained',
      );
      tf.dispose([set.x, set.y]);
      p.dispose();
    });
    m.dispose();
  });

  test('pruning search on small-resnet meets its FLOPs budget using single layers and tied groups', async () => {
    const m = resnet();
    const set = (n: number, seed: number) => ({
      x: tf.randomNormal([n, 8, 8, 1], 0, 1, 'float32', seed),
      y: tf.tensor1d(
        Array.from({ length: n }, (_, i) => i % 3),
        'int32',
      ),
    });
    const train = set(24, 1);
    const validation = set(12, 2);
    await withLeakCheck(async () => {
      const r = await pruneSearch(m, {
        train,
        validation,
        budgets: [0.4],
        fineTuneEpochs: 1,
        stepFraction: 0.25,
      });
      const [f] = r.family;
      assert.ok(f.met && f.cost.flops <= f.target, `${f.cost.flops} > ${f.target}`);
      assert.equal(modelCost(f.model).flops, f.cost.flops);
      // Tied layers always keep equal widths.
      assert.equal(f.widths.stem_conv, f.widths.block1_b_conv);
      assert.equal(f.widths.block3_b_conv, f.widths.block3_proj_conv);
      assert.ok(
        r.steps.some((s) => s.layer.includes('+')),
        'a tied group was pruned',
      );
      f.model.dispose();
    });
    tf.dispose([train.x, train.y, validation.x, validation.y]);
    m.dispose();
  });
});
