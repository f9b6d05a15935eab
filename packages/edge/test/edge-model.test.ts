import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildZooModel } from '../../../src/ml/zoo/zoo';
import { ActivationCache } from '../src/activation-cache';
import { defaultAugmentations } from '../src/augment';
import { EdgeModel, type EdgeModelOptions } from '../src/edge-model';
import { fileHeadStore } from '../src/node';
import { USER_CLASSES, userExamples } from './user-data';

const INPUT = { kind: 'image' as const, shape: [8, 8, 1], featureNames: null, preprocessing: {} };

/**
 * A base model as the registry initialises one (small-cnn, seeded), never trained on the user.
 * Its weights are random, so personalisation uses a larger step than the default (0.001, for
 * pretrained heads).
 */
const LR = 0.01;

function openModel(options: EdgeModelOptions = {}): EdgeModel {
  const base = buildZooModel('small-cnn', { inputShape: [8, 8, 1], numClasses: 3, seed: 1 });
  return new EdgeModel(base, { id: 'base', labels: [...USER_CLASSES], input: INPUT }, options);
}

/** Counts calls of the backbone's predict: the only way its forward pass runs. */
function countBackboneCalls(model: EdgeModel): { calls: number } {
  const counter = { calls: 0 };
  const original = model.backbone.predict.bind(model.backbone);
  model.backbone.predict = ((...args: Parameters<typeof original>) => {
    counter.calls++;
    return original(...args);
  }) as typeof model.backbone.predict;
  return counter;
}

describe('@autodl/edge on Node (TF.js cpu)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  test('personalise on a few examples of one user: held-out accuracy of that user goes up', async () => {
    const model = openModel();
    const mine = userExamples(24, 1);
    const heldOut = userExamples(60, 2);
    const before = model.evaluate(heldOut).accuracy;
    const progress: number[] = [];
    const result = await model.personalize(mine, {
      layers: 2,
      seed: 1,
      learningRate: LR,
      onProgress: (p) => progress.push(p.epoch),
    });
    const afterwards = model.evaluate(heldOut).accuracy;
    // Three balanced classes: the untrained head is at chance (1/3); the personalised one
    // separates the user's classes on examples it never saw.
    assert.ok(before <= 0.5, `before: ${before}`);
    assert.ok(afterwards >= 0.8, `after: ${afterwards} (before ${before})`);
    assert.deepEqual(
      progress,
      Array.from({ length: result.epochs }, (_, i) => i + 1),
    );
    assert.ok(result.bestEpoch <= result.epochs);
    assert.equal(model.trainableLayers, 2);
    model.dispose();
  });

  test('personalise with augmentation: every epoch sees fresh copies, the head still learns', async () => {
    const model = openModel({ headLayers: 2 });
    const mine = userExamples(24, 3);
    const heldOut = userExamples(60, 4);
    const before = model.evaluate(heldOut).accuracy;
    const passesBefore = model.stats.backbonePasses;
    const result = await model.personalize(mine, {
      augment: defaultAugmentations(),
      epochs: 20,
      patience: 20,
      seed: 2,
      learningRate: LR,
    });
    // Held-out slice once, then one backbone pass of augmented copies per epoch.
    assert.equal(model.stats.backbonePasses - passesBefore, 1 + result.epochs);
    const afterwards = model.evaluate(heldOut).accuracy;
    assert.ok(afterwards >= 0.7 && afterwards > before, `after ${afterwards}, before ${before}`);
    model.dispose();
  });

  test('feedback after predict trains the head on cached activations: no backbone pass', async () => {
    const model = openModel();
    const backbone = countBackboneCalls(model);
    const examples = userExamples(6, 5);
    const predictions = [];
    for (const e of examples) predictions.push(await model.predict(e.input));
    assert.equal(backbone.calls, 6);
    const headBefore = model.head.getWeights().map((w) => w.dataSync().slice());
    for (let i = 0; i < examples.length; i++) {
      const r = await model.feedback(predictions[i].id, examples[i].label);
      assert.equal(r.cached, true);
      // This one and the earlier labelled ones (replay), all from the cache.
      assert.equal(r.batch, i + 1);
    }
    assert.equal(backbone.calls, 6, 'feedback ran the backbone');
    assert.equal(model.stats.cacheHits, 6);
    assert.equal(model.stats.trainSteps, 6);
    const headAfter = model.head.getWeights().map((w) => w.dataSync());
    assert.ok(
      headAfter.some((w, k) => w.some((v, j) => v !== headBefore[k][j])),
      'head unchanged',
    );
    model.dispose();
  });

  test('a cache miss recomputes the activations from the input (and without it says so)', async () => {
    const model = openModel({ cacheBytes: 0 });
    const backbone = countBackboneCalls(model);
    const [e] = userExamples(1, 6);
    const p = await model.predict(e.input);
    assert.equal(model.cache.size, 0);
    await assert.rejects(model.feedback(p.id, e.label), /no longer cached: pass its input/);
    const r = await model.feedback(p.id, e.label, e.input);
    assert.equal(r.cached, false);
    assert.equal(backbone.calls, 2, 'predict, then the recomputation');
    assert.equal(model.stats.cacheMisses, 2);
    model.dispose();
  });

  test('the cache keeps its byte bound: least recently used evicted, tensors disposed', async () => {
    // small-cnn's backbone output at 8x8 input: fc1 of 64 units = 256 bytes per prediction.
    const model = openModel({ cacheBytes: 1000 });
    const examples = userExamples(10, 7);
    const ids: string[] = [];
    for (const e of examples) ids.push((await model.predict(e.input)).id);
    assert.equal(model.cache.bytes, 3 * 256);
    assert.ok(model.cache.bytes <= 1000);
    assert.equal(model.cache.size, 3);
    assert.ok(model.cache.get(ids[9]) && model.cache.get(ids[7]));
    assert.equal(model.cache.get(ids[6]), undefined);
    model.dispose();

    const tensorsBefore = tf.memory().numTensors;
    const cache = new ActivationCache(3 * 40);
    for (let i = 0; i < 5; i++) cache.put(`a${i}`, tf.zeros([10]));
    cache.get('a2'); // now most recent: a3 is the oldest
    cache.put('a5', tf.zeros([10]));
    assert.deepEqual(
      ['a2', 'a3', 'a4', 'a5'].map((id) => cache.get(id) !== undefined),
      [true, false, true, true],
    );
    const big = tf.zeros([31]);
    assert.equal(cache.put('big', big), false, 'an entry over the bound is not kept');
    big.dispose();
    assert.equal(tf.memory().numTensors - tensorsBefore, 3);
    cache.clear();
    assert.equal(tf.memory().numTensors, tensorsBefore);
    assert.throws(() => new ActivationCache(-1), /cacheBytes/);
  });

  test('save() and load() of the personalised head through a file store', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-heads-'));
    try {
      const store = fileHeadStore(dir);
      const model = openModel();
      await model.personalize(userExamples(12, 8), { epochs: 5, seed: 3, learningRate: LR });
      const probe = userExamples(3, 9);
      const personalised = model.evaluate(probe).loss;
      await model.save(store);
      assert.ok(fs.existsSync(path.join(dir, 'base', 'head-k1', 'weights.bin')));

      const fresh = openModel();
      assert.notEqual(fresh.evaluate(probe).loss, personalised);
      await fresh.load(store);
      assert.ok(Math.abs(fresh.evaluate(probe).loss - personalised) < 1e-6);
      model.dispose();
      fresh.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no tensors leak through predict, feedback and personalise', async () => {
    const model = openModel({ cacheBytes: 0 });
    const [e] = userExamples(1, 10);
    // The first calls build the layers and the online optimizer's moments (Adam: 2 per weight).
    const first = await model.predict(e.input);
    await model.feedback(first.id, e.label, e.input);
    const before = tf.memory().numTensors;
    const p = await model.predict(e.input);
    await model.feedback(p.id, e.label, e.input);
    await model.personalize(userExamples(8, 11), { epochs: 2 });
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });

  after(() => {
    tf.disposeVariables();
  });
});
