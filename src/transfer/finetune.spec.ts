import * as tf from '@tensorflow/tfjs';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { enableThreadDataParallel } from '../ml/data-parallel/replica-pool';
import { configureDataParallel } from '../ml/train/parallel';
import { buildZooModel } from '../ml/zoo/zoo';
import { assertNoLeaks, expectTensorsClose, tensorCount } from '../../test/support/tensors';
import { Rng } from '../platform/core/rng';
import { finetuneConfig } from './finetune.schema';
import { rifleReinitPoints } from './core/rifle';
import { finetune } from './finetune';
import { defaultHookLayers } from './model-surgery';

before(async () => {
  await tf.setBackend('cpu');
});

/** 24 8x8 grey images, two classes: a bright left half (0) or a bright right half (1), plus noise. */
function toyData(seed: number, n = 24): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const rng = new Rng(seed);
  const values = new Float32Array(n * 64);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    labels.push(label);
    for (let r = 0; r < 8; r++) {
      for (let col = 0; col < 8; col++) {
        const bright = col < 4 === (label === 0);
        values[i * 64 + r * 8 + col] = (bright ? 0.8 : 0.2) + rng.normal(0, 0.05);
      }
    }
  }
  return { x: tf.tensor4d(values, [n, 8, 8, 1]), y: tf.tensor1d(labels, 'int32') };
}

describe('finetune orchestration (new head, penalties, DTNH, RIFLE) on a tiny CNN', () => {
  for (const method of ['l2', 'l2sp', 'delta', 'rifle', 'dtnh+l2sp', 'dtnh+delta']) {
    test(`${method}: trains a copy with a 2-class head, leaves the base untouched, leaks nothing`, async () => {
      const start = tensorCount();
      const base = buildZooModel('small-cnn', {
        inputShape: [8, 8, 1],
        numClasses: 3,
        width: 2,
        seed: 1,
      });
      const baseWeights = base.getWeights().map((w) => w.clone());
      const train = toyData(1);
      const validation = toyData(2);
      const config = finetuneConfig.parse({
        method,
        epochs: 3,
        batchSize: 8,
        learningRate: 0.01,
        // Not momentum: tfjs' MomentumOptimizer.dispose() leaves its momentum scalar behind.
        optimizer: 'adam',
        headEpochs: 1,
        attentionBatches: 1,
        rifle: { periods: 2, fraction: 0.5 },
        earlyStoppingPatience: 5,
        seed: 3,
      });
      const result = await finetune({ base, train, validation, numClasses: 2, config });
      assert.equal(result.history.length, 3);
      assert.deepEqual(result.model.outputs[0].shape, [null, 2]);
      for (const m of result.history) {
        assert.ok(Number.isFinite(m.taskLoss) && Number.isFinite(m.penalty) && m.penalty >= 0);
        // The loop's loss is cross-entropy + penalty, averaged over the same steps.
        assert.ok(Math.abs(m.loss - (m.taskLoss + m.penalty)) < 1e-4 * (1 + m.loss));
      }
      base.getWeights().forEach((w, i) => expectTensorsClose(w, baseWeights[i], 0));
      if (result.plan.penalty === 'delta') {
        // The last layer of each stage, fc1 (before the head) included (Li et al. 2019 sec. 4).
        assert.deepEqual(result.hookLayers, ['conv1', 'conv2', 'fc1']);
        assert.deepEqual(
          result.attention?.map((a) => a.length),
          [2, 4, 64],
        );
        // c * softmax, as the authors' regulariser: a layer's weights sum to its channel count.
        for (const a of result.attention ?? []) {
          expectTensorsClose(
            a.reduce((s, v) => s + v, 0),
            a.length,
            1e-9,
          );
        }
      }
      for (const m of result.history) {
        if (!result.plan.dtnh) assert.equal(m.dtnhConflictRate, undefined);
        else
          assert.ok(
            m.dtnhConflictRate !== undefined && m.dtnhConflictRate >= 0 && m.dtnhConflictRate <= 1,
          );
      }
      if (result.plan.rifle) {
        // 24 examples / 8 = 3 steps per epoch, 9 steps, first half = 4 steps: re-init after 2, 4.
        assert.deepEqual(
          result.rifleSchedule,
          rifleReinitPoints({ total: 9, periods: 2, fraction: 0.5 }),
        );
        assert.deepEqual(result.rifleSchedule, [2, 4]);
        assert.deepEqual(
          result.history.map((m) => m.rifleReinits),
          [[2], [4], []],
        );
      }
      result.model.dispose();
      tf.dispose([...baseWeights, train.x, train.y, validation.x, validation.y]);
      base.dispose();
      assertNoLeaks(start);
    });
  }

  test('pairing: l2, delta and dtnh+delta of one seed start fine-tuning from identical weights (head and BN statistics)', async () => {
    const start = tensorCount();
    // small-resnet has batch norm: DELTA's head phase updates its moving statistics, which must
    // be put back along with the fine-tuning head.
    const base = buildZooModel('small-resnet', {
      inputShape: [8, 8, 1],
      numClasses: 3,
      width: 2,
      seed: 1,
    });
    const train = toyData(1);
    const startingWeights = async (method: string): Promise<tf.Tensor[]> => {
      const config = finetuneConfig.parse({
        method,
        epochs: 1,
        batchSize: 8,
        optimizer: 'adam',
        headEpochs: 1,
        attentionBatches: 1,
        seed: 7,
      });
      // 24 examples / 8: DELTA's head phase takes 3 steps; the fine-tuning phase is stopped
      // before its first step, so the result holds the weights fine-tuning starts from.
      let steps = 0;
      const headPhaseSteps = config.method === 'l2' ? 0 : 3;
      const result = await finetune({
        base,
        train,
        numClasses: 2,
        config,
        shouldStop: () => ++steps > headPhaseSteps,
      });
      if (config.method !== 'l2') assert.equal(result.attention?.length, 3);
      const weights = result.model.getWeights().map((w) => w.clone());
      result.model.dispose();
      return weights;
    };
    const l2 = await startingWeights('l2');
    for (const method of ['delta', 'dtnh+delta']) {
      const other = await startingWeights(method);
      assert.equal(other.length, l2.length);
      other.forEach((w, i) => expectTensorsClose(w, l2[i], 0));
      tf.dispose(other);
    }
    tf.dispose([...l2, train.x, train.y]);
    base.dispose();
    assertNoLeaks(start);
  });

  test('DELTA default hooks: the deepest Conv2D of each stage (after its batch norm) and the Dense before the head', () => {
    const cnn = buildZooModel('small-cnn', {
      inputShape: [8, 8, 1],
      numClasses: 3,
      width: 2,
      seed: 1,
    });
    assert.deepEqual(defaultHookLayers(cnn), ['conv1', 'conv2', 'fc1']);
    // ResNet: the main branch's last conv of each stage (not the 1x1 projection shortcut), at
    // the output of the batch norm that follows it.
    const resnet = buildZooModel('small-resnet', {
      inputShape: [8, 8, 1],
      numClasses: 3,
      width: 2,
      seed: 1,
    });
    assert.deepEqual(defaultHookLayers(resnet), ['block1_b_bn', 'block2_b_bn', 'block3_b_bn']);
    cnn.dispose();
    resnet.dispose();
  });

  test('L2-SP penalty of a step is alpha/2 ||w_S - w_S^0||^2 + beta/2 ||w_head||^2 (Li et al. 2018, eq. 3), by hand from the weights', async () => {
    const base = buildZooModel('small-cnn', {
      inputShape: [8, 8, 1],
      numClasses: 3,
      width: 2,
      seed: 1,
    });
    const train = toyData(1);
    const alpha = 40;
    const beta = 0.3;
    // One full batch per epoch and plain SGD: epoch 2's only step evaluates the penalty at the
    // weights epoch 1 ended with, which onEpochEnd reads. w_S^0 is the base model's (the
    // backbone is every trainable layer but the new head, matched by layer name).
    const config = finetuneConfig.parse({
      method: 'l2sp',
      alpha,
      beta,
      epochs: 2,
      batchSize: 24,
      learningRate: 0.5,
      optimizer: 'sgd',
      seed: 3,
    });
    let drift = 0;
    let head = 0;
    const result = await finetune({
      base,
      train,
      numClasses: 2,
      config,
      onEpochEnd: (metrics, model) => {
        if (metrics.epoch !== 0) return;
        const headLayer = model.layers[model.layers.length - 1];
        for (const layer of model.layers) {
          if (layer.trainableWeights.length === 0) continue;
          const sources = layer === headLayer ? [] : base.getLayer(layer.name).trainableWeights;
          layer.trainableWeights.forEach((w, k) => {
            const now = w.read().dataSync();
            if (layer === headLayer) {
              for (const v of now) head += v * v;
              return;
            }
            const start = sources[k].read().dataSync();
            for (let i = 0; i < now.length; i++) drift += (now[i] - start[i]) ** 2;
          });
        }
      },
    });
    const expected = (alpha / 2) * drift + (beta / 2) * head;
    // Both terms matter: the backbone has moved, and the head is not zero.
    assert.ok((alpha / 2) * drift > 0.05 * expected, `drift term ${(alpha / 2) * drift}`);
    assert.ok((beta / 2) * head > 0.05 * expected, `head term ${(beta / 2) * head}`);
    const actual = result.history[1].penalty;
    assert.ok(Math.abs(actual - expected) <= 1e-4 * expected, `penalty ${actual} vs ${expected}`);
    result.model.dispose();
    tf.dispose([train.x, train.y]);
    base.dispose();
  });

  test('dtnh+l2sp with a frozen backbone and beta = 0 (penalty reaches no trainable weight) still trains', async () => {
    const base = buildZooModel('small-cnn', {
      inputShape: [8, 8, 1],
      numClasses: 3,
      width: 2,
      seed: 1,
    });
    const train = toyData(1);
    const config = finetuneConfig.parse({
      method: 'dtnh+l2sp',
      beta: 0,
      freeze: 'all-but-head',
      epochs: 1,
      batchSize: 12,
      optimizer: 'adam',
      seed: 3,
    });
    const result = await finetune({ base, train, numClasses: 2, config });
    assert.equal(result.history[0].penalty, 0);
    result.model.dispose();
    tf.dispose([train.x, train.y]);
    base.dispose();
  });

  describe('on worker threads (replicas installed, 2 shards per batch)', () => {
    before(() => enableThreadDataParallel(1, { shards: 2 }));
    after(() => configureDataParallel(undefined));

    test('l2sp and dtnh+l2sp: bitwise the same weights on 1 and 2 threads; the l2sp penalty is still alpha/2 ||w_S - w_S^0||^2 + beta/2 ||w_head||^2 (Li et al. 2018, eq. 3)', async () => {
      const base = buildZooModel('small-cnn', {
        inputShape: [8, 8, 1],
        numClasses: 3,
        width: 2,
        seed: 1,
      });
      // 32 rows, one full batch of 2 shards per epoch.
      const train = toyData(1, 32);
      const alpha = 40;
      const beta = 0.3;
      for (const method of ['l2sp', 'dtnh+l2sp']) {
        const config = finetuneConfig.parse({
          method,
          alpha,
          beta,
          epochs: 2,
          batchSize: 32,
          learningRate: 0.5,
          optimizer: 'sgd',
          seed: 3,
        });
        const runs = [];
        for (const threads of [1, 2]) {
          let drift = 0;
          let head = 0;
          const result = await finetune({
            base,
            train,
            numClasses: 2,
            config,
            threads,
            onEpochEnd: (metrics, model) => {
              if (metrics.epoch !== 0) return;
              const headLayer = model.layers[model.layers.length - 1];
              for (const layer of model.layers) {
                if (layer.trainableWeights.length === 0) continue;
                const sources =
                  layer === headLayer ? [] : base.getLayer(layer.name).trainableWeights;
                layer.trainableWeights.forEach((w, k) => {
                  const now = w.read().dataSync();
                  if (layer === headLayer) {
                    for (const v of now) head += v * v;
                    return;
                  }
                  const start = sources[k].read().dataSync();
                  for (let i = 0; i < now.length; i++) drift += (now[i] - start[i]) ** 2;
                });
              }
            },
          });
          assert.equal(result.threads, threads, method);
          assert.equal(result.shards, 2, method);
          const expected = (alpha / 2) * drift + (beta / 2) * head;
          const actual = result.history[1].penalty;
          assert.ok(
            Math.abs(actual - expected) <= 1e-4 * expected,
            `${method} on ${threads} threads: penalty ${actual} vs ${expected}`,
          );
          runs.push(result);
        }
        const [one, two] = runs;
        assert.deepEqual(
          one.history.map((m) => [m.loss, m.taskLoss, m.penalty, m.dtnhConflictRate]),
          two.history.map((m) => [m.loss, m.taskLoss, m.penalty, m.dtnhConflictRate]),
          method,
        );
        one.model.weights.forEach((w, i) => {
          const a = Buffer.from((w.read().dataSync() as Float32Array).buffer);
          const b = Buffer.from((two.model.weights[i].read().dataSync() as Float32Array).buffer);
          assert.ok(a.equals(b), `${method}: ${w.name} bitwise equal`);
        });
        for (const r of runs) r.model.dispose();
      }
      tf.dispose([train.x, train.y]);
      base.dispose();
    });

    /**
     * A DELTA job (feature penalty per shard, the source network on the replica) on 1 and 2
     * threads, 2 shards, and unsharded on one thread (the gradientFn, as before).
     */
    async function deltaOnThreads(method: 'delta' | 'dtnh+delta'): Promise<void> {
      const start = tensorCount();
      const base = buildZooModel('small-cnn', {
        inputShape: [8, 8, 1],
        numClasses: 3,
        width: 2,
        seed: 1,
      });
      // 32 rows, one full batch of 2 shards per epoch; small-cnn has no batch norm or dropout.
      const train = toyData(1, 32);
      const config = finetuneConfig.parse({
        method,
        alpha: 0.05,
        beta: 0.3,
        epochs: 2,
        batchSize: 32,
        learningRate: 0.5,
        optimizer: 'sgd',
        headEpochs: 1,
        attentionBatches: 1,
        seed: 3,
      });
      const runs = [];
      for (const threads of [1, 2]) {
        const result = await finetune({ base, train, numClasses: 2, config, threads });
        assert.equal(result.threads, threads);
        assert.equal(result.shards, 2);
        runs.push(result);
      }
      // The reference: the same job unsharded on one thread (the gradientFn, as before).
      configureDataParallel(undefined);
      const single = await finetune({ base, train, numClasses: 2, config });
      enableThreadDataParallel(1, { shards: 2 });
      assert.equal(single.shards, 1);
      const [one, two] = runs;
      assert.deepEqual(
        one.history.map((m) => [m.loss, m.taskLoss, m.penalty, m.dtnhConflictRate]),
        two.history.map((m) => [m.loss, m.taskLoss, m.penalty, m.dtnhConflictRate]),
      );
      one.model.weights.forEach((w, i) => {
        const a = Buffer.from((w.read().dataSync() as Float32Array).buffer);
        const b = Buffer.from((two.model.weights[i].read().dataSync() as Float32Array).buffer);
        assert.ok(a.equals(b), `${method}: ${w.name} bitwise equal`);
        expectTensorsClose(w.read(), single.model.weights[i].read(), 1e-4);
      });
      one.history.forEach((m, e) => {
        const ref = single.history[e];
        assert.ok(m.penalty > 0, 'the feature maps moved away from the source');
        for (const k of ['loss', 'taskLoss', 'penalty'] as const) {
          assert.ok(
            Math.abs(m[k] - ref[k]) <= 1e-4 * (1 + ref[k]),
            `${method} ${k}: ${m[k]} vs ${ref[k]}`,
          );
        }
        // DTNH's projection is a branch on the sign of <g_t, g_r>: the same steps conflict.
        assert.equal(m.dtnhConflictRate, ref.dtnhConflictRate, method);
      });
      if (method === 'dtnh+delta')
        assert.ok(one.history.every((m) => m.dtnhConflictRate !== undefined));
      for (const r of [...runs, single]) r.model.dispose();
      tf.dispose([train.x, train.y]);
      base.dispose();
      assertNoLeaks(start);
    }

    test('delta: bitwise the same weights on 1 and 2 threads (the feature penalty per shard, the source network on the replica); without coupling between rows, the unsharded run to float error', () =>
      deltaOnThreads('delta'));

    test('dtnh+delta: the shards return the task and feature-penalty gradients apart; bitwise the same on 1 and 2 threads, the unsharded DTNH run (Wan et al. 2019) to float error', () =>
      deltaOnThreads('dtnh+delta'));
  });
});
