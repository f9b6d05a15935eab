import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Dataset } from '../ml/data';
import { buildZooModel } from '../ml/zoo/zoo';
import { Rng } from '../platform/core/rng';
import { datasetTensors } from '../registry/core/encode';
import { EspClr } from './core/esp-clr';
import type { RemoteModelTask } from './remote-placement';
import { SiteTrainer, SiteTrainerError } from './site-trainer';
import { checkSharedSet, sharedImageContract } from './local-placement';
import {
  contractMisfit,
  readWeights,
  trainLocally,
  withSharedExamples,
  writeWeights,
} from './site-training';

const SHAPE = { height: 8, width: 8, channels: 1 };

/** n seeded 8x8 images; class 1 is brighter, so the task is learnable. */
function images(n: number, seed: number, classNames = ['dark', 'light']): Dataset {
  const rng = new Rng(seed);
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const pixels = labels.map((y) =>
    Float32Array.from({ length: 64 }, () => Math.min(1, rng.float() * 0.5 + 0.4 * y)),
  );
  return new Dataset({ kind: 'image', shape: SHAPE, pixels }, labels, classNames);
}

const smallCnn = () =>
  buildZooModel('small-cnn', { inputShape: [8, 8, 1], numClasses: 2, seed: 0, width: 4 });

const task = (sizes: number[]): RemoteModelTask => ({
  architecture: 'small-cnn',
  width: 4,
  inputShape: [8, 8, 1],
  classNames: ['dark', 'light'],
  batchSize: 4,
  optimizer: 'sgd',
  sizes,
});

describe('a site trains on the shared labelled set beside its own data (Zhao et al. 2018)', () => {
  test('withSharedExamples puts the site’s rows first, then the shared set’s, labels cast to the site’s dtype', () => {
    const own = { x: tf.tensor2d([[1], [2]]), y: tf.tensor1d([0, 1], 'int32') };
    const shared = { x: tf.tensor2d([[3]]), y: tf.tensor1d([1], 'float32') };
    const both = withSharedExamples(own, shared);
    assert.deepEqual([...both.x.dataSync()], [1, 2, 3]);
    assert.deepEqual([...both.y.dataSync()], [0, 1, 1]);
    assert.equal(both.y.dtype, 'int32');
    const alone = withSharedExamples(own, undefined);
    assert.deepEqual([...alone.x.dataSync()], [1, 2]);
    tf.dispose([own.x, own.y, shared.x, shared.y, both.x, both.y, alone.x, alone.y]);
  });

  test('a train item trains on own + shared: the same weights as trainLocally on the concatenation, samples counted', async () => {
    const own = images(12, 1);
    const shared = images(8, 2);
    const model = smallCnn();
    const global = readWeights(model);
    const plan = { ...new EspClr({ period: 1, maxLr: 0.1, minLr: 0.01 }).localPlan(0) };
    const trainer = new SiteTrainer({ train: own, test: images(4, 3), shared });
    assert.equal(trainer.samples, 20);
    const answer = await trainer.answer({
      kind: 'train',
      round: 0,
      attempt: 1,
      task: { model: task(global.map((w) => w.length)), plan, seed: 5 },
      global,
    });
    assert.equal(answer.report.samples, 20);
    // The reference: the site's tensors followed by the shared set's, trained as any site trains.
    const contract = { inputKind: 'image' as const, inputShape: [8, 8, 1], preprocessing: {} };
    const a = datasetTensors(own, contract);
    const b = datasetTensors(shared, contract);
    const both = withSharedExamples(a, b);
    writeWeights(model, global);
    await trainLocally({ model, train: both, plan, batchSize: 4, optimizer: 'sgd', seed: 5 });
    const expected = readWeights(model);
    let worst = 0;
    answer.weights!.forEach((w, i) =>
      w.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - expected[i][j])))),
    );
    assert.ok(worst < 1e-5, `max |site - reference| = ${worst}`);
    // ...and not the weights of the site's own data alone.
    writeWeights(model, global);
    await trainLocally({ model, train: a, plan, batchSize: 4, optimizer: 'sgd', seed: 5 });
    const ownOnly = readWeights(model);
    assert.ok(answer.weights!.some((w, i) => w.some((v, j) => Math.abs(v - ownOnly[i][j]) > 1e-4)));
    tf.dispose([a.x, a.y, b.x, b.y, both.x, both.y]);
    trainer.dispose();
    model.dispose();
  });

  test('a shared set of other classes is refused before training', async () => {
    const trainer = new SiteTrainer({
      train: images(4, 1),
      test: images(2, 2),
      shared: images(4, 3, ['cat', 'dog']),
    });
    const model = smallCnn();
    const global = readWeights(model);
    model.dispose();
    await assert.rejects(
      trainer.answer({
        kind: 'train',
        round: 0,
        attempt: 1,
        task: {
          model: task(global.map((w) => w.length)),
          plan: new EspClr({ period: 1, maxLr: 0.1, minLr: 0.01 }).localPlan(0),
        },
        global,
      }),
      (e: Error) => e instanceof SiteTrainerError && /the shared classes cat, dog/.test(e.message),
    );
    trainer.dispose();
  });
});

describe('one contract check for the coordinator and the sites (contractMisfit)', () => {
  const tabular = new Dataset(
    { kind: 'tabular', featureNames: ['a'], rows: [[1], [2]] },
    [0, 1],
    ['dark', 'light'],
  );
  const empty = new Dataset({ kind: 'image', shape: SHAPE, pixels: [] }, [], ['dark', 'light']);
  const wide = new Dataset(
    { kind: 'image', shape: { height: 8, width: 4, channels: 1 }, pixels: [new Float32Array(32)] },
    [0],
    ['dark', 'light'],
  );
  const classes = ['dark', 'light'];

  test('classifies shape (kind or size), class list (names and order), empty split, fit', () => {
    assert.equal(contractMisfit(images(4, 1), [8, 8, 1], classes), null);
    assert.equal(contractMisfit(tabular, [8, 8, 1], classes), 'shape');
    assert.equal(contractMisfit(wide, [8, 8, 1], classes), 'shape');
    assert.equal(contractMisfit(images(4, 1), [8, 8, 1], ['light', 'dark']), 'classes');
    assert.equal(contractMisfit(images(4, 1, ['cat', 'dog']), [8, 8, 1], classes), 'classes');
    assert.equal(contractMisfit(empty, [8, 8, 1], classes), 'empty');
  });

  test('the coordinator refuses with its messages (422): sites of another shape, classes or an empty split; a misfit shared set', () => {
    const site = (name: string, train: Dataset) => ({
      name,
      architecture: 'small-cnn',
      train,
      test: images(2, 9),
    });
    const refused = (sites: Parameters<typeof sharedImageContract>[0], message: string) =>
      assert.throws(
        () => sharedImageContract(sites),
        (e: Error) => e.message === message,
      );
    refused(
      [site('a', images(4, 1)), site('b', wide)],
      "site b: every site's images must have the shape of site a",
    );
    refused(
      [site('a', images(4, 1)), site('b', images(4, 2, ['cat', 'dog']))],
      'site b: every site must have the same classes as site a',
    );
    refused([site('a', images(4, 1)), site('b', empty)], 'site b: the training split is empty');
    const { contract, classNames } = sharedImageContract([
      site('a', images(4, 1)),
      site('b', images(4, 2)),
    ]);
    assert.deepEqual(contract.inputShape, [8, 8, 1]);
    assert.throws(
      () => checkSharedSet(wide, contract, classNames),
      (e: Error) => e.message === "sharedDataset: its images must have the sites' shape 8x8x1",
    );
    assert.throws(
      () => checkSharedSet(images(4, 3, ['cat', 'dog']), contract, classNames),
      (e: Error) =>
        e.message === "sharedDataset: its classes cat, dog are not the sites' dark, light",
    );
    assert.throws(
      () => checkSharedSet(empty, contract, classNames),
      (e: Error) => e.message === 'sharedDataset: its training split is empty',
    );
  });

  test('a site refuses with its messages (SiteTrainerError): non-image data, another shape, other classes', async () => {
    const model = smallCnn();
    const global = readWeights(model);
    model.dispose();
    const refusal = async (train: Dataset) => {
      const trainer = new SiteTrainer({ train, test: images(2, 2) });
      try {
        await trainer.answer({
          kind: 'train',
          round: 0,
          attempt: 1,
          task: {
            model: task(global.map((w) => w.length)),
            plan: new EspClr({ period: 1, maxLr: 0.1, minLr: 0.01 }).localPlan(0),
          },
          global,
        });
      } catch (e) {
        assert.ok(e instanceof SiteTrainerError);
        return e.message;
      } finally {
        trainer.dispose();
      }
      return null;
    };
    assert.equal(await refusal(tabular), 'the site data must be images');
    assert.equal(await refusal(wide), 'the site images are 8x4x1, the federation takes 8x8x1');
    assert.equal(
      await refusal(images(4, 1, ['cat', 'dog'])),
      "the site classes cat, dog are not the federation's dark, light",
    );
  });
});
