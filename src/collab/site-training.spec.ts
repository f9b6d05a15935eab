import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withLeakCheck } from '../../test/support/tensors';
import { buildZooModel } from '../ml/zoo/zoo';
import { Rng } from '../platform/core/rng';
import { distillationLoss } from './core/codistill';
import { drawMixup, mixRows } from './core/mcl';
import { EspClr } from './core/esp-clr';
import { proximalTerm } from './core/fedprox';
import { optionTwo } from './core/scaffold';
import { l2Norm } from './core/weights';
import { makeSchedule } from '../ml/train/schedules';
import {
  distillingLoss,
  distillationTerm,
  mixupLoss,
  proximalPenalty,
  readWeights,
  trainLocally,
  writeWeights,
} from './site-training';

/** A site's toy data: n points of two seeded standard-normal features, labelled 1 where `rule` holds. */
function toySet(seed: number, n: number, rule: (a: number, b: number) => boolean) {
  const rng = new Rng(seed);
  const x = Array.from({ length: n }, () => [rng.normal(), rng.normal()]);
  return {
    x: tf.tensor2d(x),
    y: tf.tensor1d(
      x.map(([a, b]) => (rule(a, b) ? 1 : 0)),
      'int32',
    ),
  };
}

describe('site training on TF.js against the core formulas', () => {
  test('the distillation term equals core distillationLoss (T^2 KL, Hinton et al. 2015)', async () => {
    await withLeakCheck(() => {
      const probs = Float32Array.from([0.7, 0.2, 0.1, 0.3, 0.3, 0.4]);
      const teacher = Float32Array.from([0.5, 0.4, 0.1, 0.2, 0.2, 0.6]);
      const got = tf.tidy(
        () =>
          distillationTerm(
            tf.tensor2d(probs, [2, 3]),
            tf.tensor2d(teacher, [2, 3]),
            2.5,
          ).dataSync()[0],
      );
      const expected = distillationLoss(probs.map(Math.log), teacher, 3, 2.5);
      assert.ok(Math.abs(got - expected) < 1e-4, `${got} vs ${expected}`);
    });
  });

  test('the loss a codistill site trains with = CE(own batch) + weight * core distillationLoss(public batch)', async () => {
    // The whole LossFn trainLocally uses, against the core formula on a hand case: a 3-class MLP,
    // a labelled batch of 2, a public set of 3 rows and a teacher; the public rows of the step are
    // the seeded draw (Rng(9) fork 'x': 2 indices in [0, 2]).
    const model = buildZooModel('mlp', { inputShape: [2], numClasses: 3, seed: 4, hidden: [4] });
    const x = Float32Array.from([1, 0, 0, 1]);
    const y = [2, 0];
    const pub = Float32Array.from([0.5, 0.5, -1, 2, 3, -0.5]);
    const teacher = Float32Array.from([0.6, 0.3, 0.1, 0.2, 0.2, 0.6, 1 / 3, 1 / 3, 1 / 3]);
    const T = 3;
    const weight = 0.7;
    await withLeakCheck(() => {
      const got = tf.tidy(() => {
        const loss = distillingLoss(
          tf.tensor2d(pub, [3, 2]),
          tf.tensor2d(teacher, [3, 3]),
          { temperature: T, weight },
          2,
          new Rng(9).fork('x'),
        );
        return loss(model, tf.tensor2d(x, [2, 2]), tf.tensor1d(y, 'int32'), {
          epoch: 0,
          step: 0,
          forward: (v) => model.apply(v) as tf.Tensor,
        }).dataSync()[0];
      });
      const probs = (v: Float32Array, n: number) =>
        Float32Array.from(
          tf.tidy(() => (model.predict(tf.tensor2d(v, [n, 2])) as tf.Tensor).dataSync()),
        );
      const p = probs(x, 2);
      const ce = -(Math.log(p[0 * 3 + y[0]] + 1e-7) + Math.log(p[1 * 3 + y[1]] + 1e-7)) / 2;
      const draw = new Rng(9).fork('x');
      const idx = [draw.int(0, 2), draw.int(0, 2)];
      const pubRows = Float32Array.from(idx.flatMap((i) => [pub[2 * i], pub[2 * i + 1]]));
      const q = probs(pubRows, 2);
      const t = Float32Array.from(idx.flatMap((i) => [...teacher.subarray(3 * i, 3 * i + 3)]));
      const expected = ce + weight * distillationLoss(q.map(Math.log), t, 3, T);
      assert.ok(Math.abs(got - expected) < 1e-4, `${got} vs ${expected}`);
    });
    model.dispose();
  });

  test('mixup loss = CE of f(l x_i + (1-l) x_j) against l y_i + (1-l) y_j (Zhang et al. 2018)', async () => {
    const model = buildZooModel('mlp', {
      inputShape: [3],
      numClasses: 2,
      seed: 1,
      hidden: [4],
    });
    await withLeakCheck(() => {
      const xs = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]);
      const ys = [0, 1, 1, 0];
      const loss = tf.tidy(
        () =>
          mixupLoss(0.4, new Rng(5))(model, tf.tensor2d(xs, [4, 3]), tf.tensor1d(ys, 'int32'), {
            epoch: 0,
            step: 0,
            forward: (x) => model.apply(x) as tf.Tensor,
          }).dataSync()[0],
      );
      // The same draw by hand: mixed inputs and soft targets, cross-entropy -sum y~ log p.
      const draw = drawMixup(new Rng(5), 0.4, 4);
      const mixedX = mixRows(xs, 3, draw);
      const mixedY = mixRows(
        Float32Array.from(ys.flatMap((y) => (y === 0 ? [1, 0] : [0, 1]))),
        2,
        draw,
      );
      const p = tf.tidy(() => (model.predict(tf.tensor2d(mixedX, [4, 3])) as tf.Tensor).dataSync());
      let ce = 0;
      for (let i = 0; i < 8; i++) ce -= mixedY[i] * Math.log(p[i] + 1e-7);
      assert.ok(Math.abs(loss - ce / 4) < 1e-4, `${loss} vs ${ce / 4}`);
    });
    model.dispose();
  });

  test('weights round-trip through flat arrays; an esp-clr local period trains and lowers the loss', async () => {
    const model = buildZooModel('mlp', {
      inputShape: [2],
      numClasses: 2,
      seed: 3,
      hidden: [8],
    });
    const w = readWeights(model);
    writeWeights(model, w);
    assert.deepEqual(readWeights(model), w);
    const train = toySet(2, 64, (a, b) => a + b > 0);
    const plan = new EspClr({ period: 3, maxLr: 0.1, minLr: 0.001 }).localPlan(0);
    const first = await trainLocally({
      model,
      train,
      plan: { ...plan, epochs: 1 },
      batchSize: 8,
      optimizer: 'sgd',
      seed: 1,
    });
    const r = await trainLocally({ model, train, plan, batchSize: 8, optimizer: 'sgd', seed: 1 });
    assert.equal(r.steps, 3 * 8);
    assert.ok(r.loss < first.loss, `${r.loss} < ${first.loss}`);
    tf.dispose([train.x, train.y]);
    model.dispose();
  });

  test('FedBABU (Oh, Kim & Yun, ICLR 2022): with freezeHead a site trains the body only, its head leaves bit-identical to the global one', async () => {
    const train = toySet(7, 64, (a, b) => a * b > 0);
    const model = buildZooModel('mlp', { inputShape: [2], numClasses: 2, seed: 8, hidden: [8] });
    const global = readWeights(model);
    const head = model.layers[model.layers.length - 1];
    const headArrays = head.weights.length;
    assert.ok(headArrays > 0 && headArrays < global.length);
    const babu = new EspClr({ period: 2, maxLr: 0.05, minLr: 0.001, freezeHead: true });
    const plan = babu.localPlan(0);
    assert.equal(plan.freezeHead, true);
    // adam: a per-weight step that would move any weight with a gradient, however small.
    await trainLocally({ model, train, plan, batchSize: 8, optimizer: 'adam', seed: 1 });
    const after = readWeights(model);
    const body = global.length - headArrays;
    for (let i = body; i < global.length; i++)
      assert.deepEqual(after[i], global[i], `head array ${i} is bit-identical`);
    for (let i = 0; i < body; i++)
      assert.ok(
        after[i].some((v, j) => v !== global[i][j]),
        `body array ${i} changed`,
      );
    // The option, not the model, froze it: the same site without it trains the head too.
    const plainPlan = new EspClr({ period: 2, maxLr: 0.05, minLr: 0.001 }).localPlan(0);
    assert.equal(plainPlan.freezeHead, undefined);
    await trainLocally({ model, train, plan: plainPlan, batchSize: 8, optimizer: 'adam', seed: 1 });
    const plain = readWeights(model);
    assert.ok(plain[global.length - 1].some((v, j) => v !== global[global.length - 1][j]));
    assert.ok(model.layers.every((l) => l.trainable));
    tf.dispose([train.x, train.y]);
    model.dispose();
  });

  test("FedNTD (Lee et al., NeurIPS 2022) reaches the trainer: at the round's start the local model is the global one, so the first step is the plain step; later steps differ", async () => {
    await withLeakCheck(async () => {
      // Three classes: with two the not-true softmax is over one class, always 1, and KL is 0.
      const two = toySet(3, 32, (a) => a > 0);
      const third = toySet(3, 32, (_a, b) => b > 0);
      const train = { x: two.x, y: tf.add(two.y, third.y) as tf.Tensor1D };
      tf.dispose([two.y, third.x, third.y]);
      const model = buildZooModel('mlp', { inputShape: [2], numClasses: 3, seed: 5, hidden: [6] });
      const global = readWeights(model);
      const run = async (epochs: number, notTrueBeta?: number) => {
        writeWeights(model, global);
        const plan = new EspClr({ period: epochs, maxLr: 0.5, minLr: 0.01, notTrueBeta }).localPlan(
          0,
        );
        assert.equal(plan.notTrueBeta, notTrueBeta);
        // One batch of all 32 rows per epoch, plain SGD: one step per epoch.
        await trainLocally({ model, train, plan, batchSize: 32, optimizer: 'sgd', seed: 1 });
        return readWeights(model).flatMap((w) => [...w]);
      };
      const gap = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
      assert.ok(gap(await run(1), await run(1, 2)) < 1e-5, 'first step: KL and its gradient are 0');
      assert.ok(gap(await run(3), await run(3, 2)) > 1e-4, 'later steps: the term pulls');
      tf.dispose([train.x, train.y]);
      model.dispose();
    });
  });

  test('SAM (Foret et al., ICLR 2021) reaches the trainer: a plan with samRho steps elsewhere than the plain one and refuses mixup', async () => {
    await withLeakCheck(async () => {
      const train = toySet(4, 32, (a, b) => a + b > 0);
      const model = buildZooModel('mlp', { inputShape: [2], numClasses: 2, seed: 6, hidden: [6] });
      const global = readWeights(model);
      const run = async (samRho?: number) => {
        writeWeights(model, global);
        const plan = new EspClr({ period: 1, maxLr: 0.5, minLr: 0.01, samRho }).localPlan(0);
        await trainLocally({ model, train, plan, batchSize: 32, optimizer: 'sgd', seed: 1 });
        return readWeights(model).flatMap((w) => [...w]);
      };
      const plain = await run();
      const sam = await run(0.5);
      assert.ok(sam.every(Number.isFinite));
      assert.ok(Math.max(...sam.map((v, i) => Math.abs(v - plain[i]))) > 1e-4);
      const plan = {
        ...new EspClr({ period: 1, maxLr: 0.5, minLr: 0.01, samRho: 0.5 }).localPlan(0),
        mixupAlpha: 0.2,
      };
      await assert.rejects(
        trainLocally({ model, train, plan, batchSize: 32, optimizer: 'sgd', seed: 1 }),
        /mixup or distillation, SAM: one local objective at a time/,
      );
      tf.dispose([train.x, train.y]);
      model.dispose();
    });
  });

  test('the proximal penalty adds core proximalTerm to the loss and its gradient (FedProx eq. 2)', async () => {
    const model = buildZooModel('mlp', { inputShape: [3], numClasses: 2, seed: 4, hidden: [4] });
    const w0 = readWeights(model);
    const { penalty, dispose } = proximalPenalty(model, 0.3);
    const moved = w0.map((w, i) => w.map((v, j) => v + 0.1 * (((i + j) % 3) - 1)));
    writeWeights(model, moved);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const expected = proximalTerm(moved, w0, 0.3);
    tf.tidy(() => {
      const taskGrads: tf.NamedTensorMap = {};
      variables.forEach((v) => (taskGrads[v.name] = tf.onesLike(v)));
      const out = penalty({
        epoch: 0,
        step: 0,
        variables,
        taskLoss: tf.scalar(0.5),
        taskGrads,
        gradientsOf: (fn) => tf.variableGrads(fn, variables),
      });
      const loss = out.loss.dataSync()[0];
      assert.ok(Math.abs(loss - (0.5 + expected.value)) < 1e-5, `${loss}`);
      variables.forEach((v, i) => {
        const g = out.grads[v.name].dataSync();
        g.forEach((x, j) => assert.ok(Math.abs(x - (1 + expected.gradient[i][j])) < 1e-5));
      });
    });
    dispose();
    model.dispose();
  });

  test('with mu > 0 a site drifts less from the global weights than without (same data and seed)', async () => {
    const train = toySet(5, 64, (a, b) => a - b > 0);
    const drift = async (mu: number) => {
      const model = buildZooModel('mlp', { inputShape: [2], numClasses: 2, seed: 6, hidden: [8] });
      const w0 = readWeights(model);
      const plan = new EspClr({ period: 2, maxLr: 0.2, minLr: 0.01, proximalMu: mu }).localPlan(0);
      await trainLocally({ model, train, plan, batchSize: 8, optimizer: 'sgd', seed: 1 });
      const w = readWeights(model);
      model.dispose();
      return l2Norm(w.map((v, i) => v.map((y, j) => y - w0[i][j])));
    };
    const plain = await drift(0);
    const prox = await drift(5);
    assert.ok(prox < plain * 0.9, `prox ${prox} vs plain ${plain}`);
    tf.dispose([train.x, train.y]);
  });

  test('SCAFFOLD on TF.js under SGD with a cosine cycle: c_i+ is the paper option II, c_i - c + (x - y) / sum lr_t', async () => {
    // Karimireddy et al. 2020, Alg. 1 lines 10 and 12: the site steps on g - c_i + c; what it
    // computes (the lr-weighted mean of its raw gradients) must equal option II read off its
    // start x and end y, with K lr replaced by the sum of the cycle's step sizes.
    const model = buildZooModel('mlp', { inputShape: [2], numClasses: 2, seed: 5, hidden: [6] });
    const n = 40;
    const train = toySet(7, n, (a, b) => a - b > 0);
    const x = readWeights(model);
    const c = x.map((w) => w.map((_, j) => 0.05 * Math.sin(j + 1)));
    const ci = x.map((w) => w.map((_, j) => 0.03 * Math.cos(2 * j)));
    const plan = {
      ...new EspClr({ period: 2, maxLr: 0.2, minLr: 0.01, scaffold: true }).localPlan(0),
    };
    assert.equal(plan.scaffold, true);
    const r = await trainLocally({
      model,
      train,
      plan,
      batchSize: 8,
      optimizer: 'sgd',
      seed: 3,
      control: { c, ci },
    });
    const y = readWeights(model);
    const schedule = makeSchedule(plan.schedule, plan.learningRate, n / 8, plan.epochs);
    let sumLr = 0;
    for (let t = 0; t < r.steps; t++) sumLr += schedule.at(t);
    const expected = optionTwo(ci, c, x, y, sumLr);
    const got = r.nextControl!;
    assert.equal(got.length, expected.length);
    let worst = 0;
    got.forEach((g, i) =>
      g.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - expected[i][j])))),
    );
    assert.ok(worst < 2e-3, `max |c_i+ - option II| = ${worst}`);
    assert.ok(l2Norm(got) > 0.01, 'the control variate is not trivially zero');
    tf.dispose([train.x, train.y]);
    model.dispose();
  });
});
