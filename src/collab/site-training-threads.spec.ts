import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertNoLeaks, tensorCount } from '../../test/support/tensors';
import { enableThreadDataParallel } from '../ml/data-parallel/replica-pool';
import { configureDataParallel } from '../ml/train/parallel';
import { buildZooModel } from '../ml/zoo/zoo';
import { Rng } from '../platform/core/rng';
import { softmaxRows } from './core/codistill';
import type { LocalPlan } from './core/federated-algorithm';
import { trainLocally } from './site-training';

/**
 * mcl (mixup) and codistill sites on worker threads: the step's randomness (mixup's lambda and
 * pairing, the public batch) is drawn once per batch on the main thread, the shards get mixed
 * rows / their part of the public batch with the teacher's soft labels. 40 rows in batches of
 * 32: a batch of 2 shards of 16 and a last batch of 8 that is not sharded.
 */
const ROWS = 40;
const FEATURES = 6;
const CLASSES = 3;

function data(seed: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const rng = new Rng(seed);
  const xs = Array.from({ length: ROWS * FEATURES }, () => rng.normal(0, 1));
  const ys = Array.from({ length: ROWS }, (_, i) => (i * 7) % CLASSES);
  return { x: tf.tensor2d(xs, [ROWS, FEATURES]), y: tf.tensor1d(ys, 'int32') };
}

function basePlan(): LocalPlan {
  return {
    epochs: 3,
    learningRate: 0.3,
    schedule: { kind: 'constant' },
    mixupAlpha: null,
    distillation: null,
    startFromGlobal: false,
  };
}

interface Run {
  weights: Float32Array[];
  loss: number;
  accuracy: number;
  threads: number;
  shards: number;
}

async function site(
  plan: LocalPlan,
  threads?: number,
  publicSet?: tf.Tensor2D,
  teacher?: Float32Array,
): Promise<Run> {
  const model = buildZooModel('mlp', {
    inputShape: [FEATURES],
    numClasses: CLASSES,
    seed: 4,
    hidden: [8],
  });
  const train = data(2);
  try {
    const r = await trainLocally({
      model,
      train,
      plan,
      batchSize: 32,
      optimizer: 'sgd',
      seed: 7,
      ...(publicSet && teacher ? { publicX: publicSet, teacher } : {}),
      ...(threads !== undefined ? { threads } : {}),
    });
    return {
      weights: model.getWeights().map((w) => Float32Array.from(w.dataSync())),
      loss: r.loss,
      accuracy: r.accuracy,
      threads: r.threads,
      shards: r.shards,
    };
  } finally {
    tf.dispose([train.x, train.y]);
    model.dispose();
  }
}

/**
 * Bitwise equal on 1 and 2 threads (the same shards, the same sums in the same order); within
 * 1e-4 of the unsharded run: an MLP has no coupling between rows, so only float rounding differs
 * (the shards' gradients are summed on the host, the mixed rows are formed there).
 */
async function compare(
  plan: LocalPlan,
  publicSet?: tf.Tensor2D,
  teacher?: Float32Array,
): Promise<Run[]> {
  const runs: Run[] = [];
  for (const threads of [1, 2]) {
    const r = await site(plan, threads, publicSet, teacher);
    assert.equal(r.threads, threads);
    assert.equal(r.shards, 2);
    runs.push(r);
  }
  configureDataParallel(undefined);
  const single = await site(plan, undefined, publicSet, teacher);
  enableThreadDataParallel(1, { shards: 2 });
  assert.equal(single.shards, 1);
  const [one, two] = runs;
  assert.equal(one.loss, two.loss);
  one.weights.forEach((w, i) => {
    assert.ok(
      Buffer.from(w.buffer).equals(Buffer.from(two.weights[i].buffer)),
      `weight ${i} bitwise`,
    );
    let diff = 0;
    for (let k = 0; k < w.length; k++) diff = Math.max(diff, Math.abs(w[k] - single.weights[i][k]));
    assert.ok(diff <= 1e-4, `weight ${i}: ${diff} from the unsharded run`);
  });
  assert.ok(
    Math.abs(one.loss - single.loss) <= 1e-4 * (1 + single.loss),
    `${one.loss} vs ${single.loss}`,
  );
  return [one, two, single];
}

describe('federation sites with mixup and distillation on worker threads (2 shards per batch)', () => {
  before(async () => {
    await tf.setBackend('cpu');
    enableThreadDataParallel(1, { shards: 2 });
  });
  after(() => configureDataParallel(undefined));

  test('mcl (mixup, Zhang et al. 2018): bitwise the same weights on 1 and 2 threads, the unsharded run to 1e-4; no accuracy reported for mixed rows, as unsharded', async () => {
    const start = tensorCount();
    const [one, , single] = await compare({ ...basePlan(), mixupAlpha: 0.4 });
    assert.ok(Number.isNaN(one.accuracy) && Number.isNaN(single.accuracy));
    // The draws moved the weights away from the plain run's (the mixup really happened).
    const plain = await site(basePlan(), 2);
    const moved = one.weights.some((w, i) => w.some((v, k) => v !== plain.weights[i][k]));
    assert.ok(moved, 'mixup changes the training');
    assertNoLeaks(start);
  });

  test('codistill (T^2 KL to the teacher on a public batch, Hinton et al. 2015): bitwise on 1 and 2 threads, the unsharded run to 1e-4', async () => {
    const start = tensorCount();
    const rng = new Rng(11);
    const publicRows = 20;
    const publicSet = tf.tensor2d(
      Array.from({ length: publicRows * FEATURES }, () => rng.normal(0, 1)),
      [publicRows, FEATURES],
    );
    const logits = Float32Array.from({ length: publicRows * CLASSES }, () => rng.normal(0, 2));
    const teacher = softmaxRows(logits, CLASSES, 3);
    const plan = { ...basePlan(), distillation: { temperature: 3, weight: 0.7 } };
    const [one, , single] = await compare(plan, publicSet, teacher);
    assert.ok(Number.isFinite(one.accuracy) && one.accuracy === single.accuracy);
    // Without the teacher the run differs (the term is in the loss).
    const alone = await site(basePlan(), 2);
    assert.ok(Math.abs(alone.loss - one.loss) > 1e-3, `${alone.loss} vs ${one.loss}`);
    publicSet.dispose();
    assertNoLeaks(start);
  });
});
