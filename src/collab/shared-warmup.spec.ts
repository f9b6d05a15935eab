import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { expectTensorsClose } from '../../test/support/tensors';
import { buildZooModel } from '../ml/zoo/zoo';
import { Rng } from '../platform/core/rng';
import { EspClr } from './core/esp-clr';
import { readWeights, trainLocally, writeWeights } from './site-training';
import { sharedWarmup, warmupPlan, warmupSeed } from './shared-warmup';

/** n seeded points of two standard-normal features, labelled 1 where a + b > 0. */
function sharedSet(seed: number, n: number) {
  const rng = new Rng(seed);
  const x = Array.from({ length: n }, () => [rng.normal(), rng.normal()]);
  return {
    x: tf.tensor2d(x),
    y: tf.tensor1d(
      x.map(([a, b]) => (a + b > 0 ? 1 : 0)),
      'int32',
    ),
  };
}

describe('the warm-up model on the shared set (Zhao et al. 2018, sec. 4)', () => {
  test('one epoch of one full batch is one SGD step of softmax regression by hand: W - lr X^T (P - Y) / n', async () => {
    // A head-only model (mlp without hidden layers): logits = x W + b. Two examples, batch 2, so
    // one step at the cycle's start, where the cosine schedule is at the plan's peak rate.
    const model = buildZooModel('mlp', { inputShape: [2], numClasses: 2, seed: 5, hidden: [] });
    const initial = readWeights(model);
    const [w, b] = initial;
    const xs = [
      [1, 2],
      [-1, 0.5],
    ];
    const ys = [1, 0];
    const lr = 0.1;
    const firstRound = new EspClr({
      period: 4,
      maxLr: lr,
      minLr: 0.002,
      freezeHead: true,
    }).localPlan(0);
    const shared = { x: tf.tensor2d(xs), y: tf.tensor1d(ys, 'int32') };
    // Move the model first: the warm-up must start from `initial`, not from the model's state.
    writeWeights(
      model,
      initial.map((a) => a.map((v) => v + 1)),
    );
    const got = await sharedWarmup({
      model,
      shared,
      initial,
      firstRound,
      epochs: 1,
      batchSize: 2,
      optimizer: 'sgd',
      seed: 3,
    });
    // By hand: p = softmax(x W + b) per row; dL/dz = (p - onehot(y)) / n.
    const gw = new Float32Array(4);
    const gb = new Float32Array(2);
    xs.forEach((x, r) => {
      const z = [0, 1].map((c) => x[0] * w[c] + x[1] * w[2 + c] + b[c]);
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const p = e.map((v) => v / (e[0] + e[1]));
      for (let c = 0; c < 2; c++) {
        const d = (p[c] - (ys[r] === c ? 1 : 0)) / xs.length;
        gw[c] += x[0] * d;
        gw[2 + c] += x[1] * d;
        gb[c] += d;
      }
    });
    // Under freezeHead the head (here: the whole model) trains anyway: the warm-up is the
    // initialisation, and FedBABU's sites then keep its trained head.
    expectTensorsClose(
      got[0],
      w.map((v, i) => v - lr * gw[i]),
      1e-5,
    );
    expectTensorsClose(
      got[1],
      b.map((v, i) => v - lr * gb[i]),
      1e-5,
    );
    tf.dispose([shared.x, shared.y]);
    model.dispose();
  });

  test('W epochs equal training on the shared set alone: one cosine cycle over W epochs with round 1 peak rate, the head too', async () => {
    const shared = sharedSet(11, 48);
    const model = buildZooModel('mlp', { inputShape: [2], numClasses: 2, seed: 8, hidden: [8] });
    const initial = readWeights(model);
    const firstRound = new EspClr({
      period: 2,
      maxLr: 0.05,
      minLr: 0.001,
      freezeHead: true,
      proximalMu: 0.1,
    }).localPlan(0);
    const plan = warmupPlan(firstRound, 3);
    assert.deepEqual(plan, {
      epochs: 3,
      learningRate: 0.05,
      schedule: { kind: 'cosine', minLr: 0.001 },
      mixupAlpha: null,
      distillation: null,
      startFromGlobal: true,
    });
    const got = await sharedWarmup({
      model,
      shared,
      initial,
      firstRound,
      epochs: 3,
      batchSize: 8,
      optimizer: 'adam',
      seed: 21,
    });
    // The same training by hand: from the initial weights, the shared set alone, 3 epochs of
    // one cycle, every layer trainable, the warm-up's own seed.
    writeWeights(model, initial);
    const r = await trainLocally({
      model,
      train: shared,
      plan, // the literal asserted above
      batchSize: 8,
      optimizer: 'adam',
      seed: warmupSeed(21),
    });
    assert.equal(r.steps, 3 * 6);
    const expected = readWeights(model);
    got.forEach((a, i) => assert.deepEqual(a, expected[i], `array ${i}`));
    // Every array moved, the head's included.
    got.forEach((a, i) =>
      assert.ok(
        a.some((v, j) => v !== initial[i][j]),
        `array ${i} moved`,
      ),
    );
    tf.dispose([shared.x, shared.y]);
    model.dispose();
  });

  test('0 epochs is no warm-up: a copy of the initial weights; a negative or fractional count is refused', async () => {
    const shared = sharedSet(2, 8);
    const model = buildZooModel('mlp', { inputShape: [2], numClasses: 2, seed: 1, hidden: [4] });
    const initial = readWeights(model);
    const firstRound = new EspClr({ period: 2, maxLr: 0.05, minLr: 0.001 }).localPlan(0);
    const base = { model, shared, initial, firstRound, batchSize: 4, optimizer: 'sgd' as const };
    const got = await sharedWarmup({ ...base, epochs: 0, seed: 1 });
    assert.deepEqual(got, initial);
    assert.notEqual(got[0], initial[0]);
    for (const epochs of [-1, 1.5, Number.NaN])
      await assert.rejects(sharedWarmup({ ...base, epochs, seed: 1 }), /non-negative integer/);
    tf.dispose([shared.x, shared.y]);
    model.dispose();
  });
});
