import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataset } from '../ml/data';
import { buildZooModel } from '../ml/zoo/zoo';
import { Rng } from '../platform/core/rng';
import { datasetTensors } from '../registry/core/encode';
import {
  calibrateFromClassStats,
  classFeatureStats,
  type ClassFeatureStats,
} from './core/classifier-calibration';
import { CCVR_SETTINGS, decodeClassStats, encodeClassStats } from './core/ccvr-protocol';
import { weightBytes } from './core/weights';
import { calibrateFederation } from './federation-calibration';
import { HeadFeatures } from './head-calibration';
import type { RemoteModelTask } from './remote-placement';
import type { RoundScope, SiteClassStats, SitePlacement } from './site-placement';
import { SiteTrainer } from './site-trainer';
import { readWeights } from './site-training';

const SHAPE = { height: 8, width: 8, channels: 1 };
const CLASSES = ['a', 'b', 'c'];

/** n seeded 8x8 images with the given labels (brightness grows with the class). */
function images(labels: number[], seed: number): Dataset {
  const rng = new Rng(seed);
  const pixels = labels.map((y) =>
    Float32Array.from({ length: 64 }, () => Math.min(1, rng.float() * 0.5 + 0.25 * y)),
  );
  return new Dataset({ kind: 'image', shape: SHAPE, pixels }, labels, CLASSES);
}

const model = () =>
  buildZooModel('small-cnn', { inputShape: [8, 8, 1], numClasses: 3, seed: 7, width: 4 });

const task = (sizes: number[]): RemoteModelTask => ({
  architecture: 'small-cnn',
  width: 4,
  inputShape: [8, 8, 1],
  classNames: CLASSES,
  batchSize: 4,
  optimizer: 'sgd',
  sizes,
});

describe('CCVR at a site: a stats item (site-trainer.ts)', () => {
  test('the statistics are classFeatureStats of the site’s OWN training features under the global weights (not the shared set’s)', async () => {
    const m = model();
    const global = readWeights(m).map((w, i) => w.map((v) => v + 0.01 * ((i % 3) - 1)));
    const own = images([0, 0, 1, 0, 1, 1, 0], 1); // class 2 absent at this site
    const trainer = new SiteTrainer({ train: own, test: images([], 3), shared: images([2, 2], 2) });
    const answer = await trainer.answer({
      kind: 'stats',
      round: 4,
      attempt: 1,
      task: { model: task(global.map((w) => w.length)) },
      global,
    });
    trainer.dispose();
    assert.equal(answer.weights, null);
    assert.equal(answer.report.samples, 7);
    // The reference: the same features read independently on another copy of the model.
    const hf = new HeadFeatures(model());
    const { x, y } = datasetTensors(own, {
      inputKind: 'image',
      inputShape: [8, 8, 1],
      preprocessing: {},
    });
    const reference = classFeatureStats(
      { features: hf.features(global, x), labels: own.labels, dim: hf.dim },
      3,
    );
    x.dispose();
    y.dispose();
    const got = decodeClassStats(answer.stats!, 3, hf.dim);
    assert.deepEqual(
      got.map((s) => s.count),
      [4, 3, 0],
    );
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < hf.dim; i++)
        assert.ok(Math.abs(got[c].mean[i] - reference[c].mean[i]) < 1e-5, `mean ${c} ${i}`);
      for (let i = 0; i < hf.dim * hf.dim; i++)
        assert.ok(
          Math.abs(got[c].covariance[i] - reference[c].covariance[i]) <=
            1e-5 * (1 + Math.abs(reference[c].covariance[i])),
          `covariance ${c} ${i}`,
        );
    }
    // Exactly the counts and the two moments of the classes present: no room for a row.
    assert.equal(answer.stats!.length, 3 + 2 * (hf.dim + (hf.dim * (hf.dim + 1)) / 2));
  });
});

describe('CCVR at the coordinator (federation-calibration.ts)', () => {
  test('merges the sites’ statistics, re-trains only the head (seeded), evaluates the calibrated weights and meters the bytes', async () => {
    const m = model();
    const hf = new HeadFeatures(m);
    const global = readWeights(m);
    const siteStats = (labels: number[], seed: number): ClassFeatureStats[] => {
      const ds = images(labels, seed);
      const { x, y } = datasetTensors(ds, {
        inputKind: 'image',
        inputShape: [8, 8, 1],
        preprocessing: {},
      });
      const s = classFeatureStats({ features: hf.features(global, x), labels, dim: hf.dim }, 3);
      x.dispose();
      y.dispose();
      return s;
    };
    const a = siteStats([0, 0, 0, 1], 1);
    const b = siteStats([1, 2, 2, 2, 2], 2);
    const evaluated: { weights: Float32Array[]; scope?: RoundScope }[] = [];
    const placement: SitePlacement = {
      placement: 'pool',
      sites: [
        { name: 'a', samples: 4 },
        { name: 'b', samples: 5 },
        { name: 'c', samples: 3 },
      ],
      train: () => Promise.reject(new Error('not in this test')),
      evaluateGlobal: async (weights, scope) => {
        evaluated.push({ weights: weights as Float32Array[], scope });
        return [{ site: 'a', accuracy: 0.75, loss: 0.5, count: 4 }];
      },
      classStats: async (_g, scope): Promise<SiteClassStats[]> => {
        assert.equal(scope.featureDim, hf.dim);
        return [
          { site: 'a', stats: encodeClassStats(a) },
          { site: 'b', stats: encodeClassStats(b) },
        ];
      },
      dispose: () => undefined,
    };
    const logs: string[] = [];
    const out = await calibrateFederation(
      {
        placement,
        global,
        head: hf,
        scope: { round: 3, attempt: 1, skip: ['c'] },
        seed: 11,
        uncalibrated: [{ site: 'a', accuracy: 0.5, loss: 0.9, count: 4 }],
      },
      async (line) => void logs.push(line),
    );
    assert.ok(out);
    // The reference: the core on the float32 round trip of the same statistics, same seed.
    const expected = calibrateFromClassStats(
      hf.head(global),
      [encodeClassStats(a), encodeClassStats(b)].map((f) => decodeClassStats(f, 3, hf.dim)),
      CCVR_SETTINGS,
      11,
    ).head;
    assert.deepEqual(out.global[hf.kernelIndex], expected.kernel);
    assert.deepEqual(out.global[hf.biasIndex], expected.bias);
    out.global.forEach((w, i) => {
      if (i !== hf.kernelIndex && i !== hf.biasIndex) assert.equal(w, global[i]);
    });
    assert.notDeepEqual(out.global[hf.kernelIndex], global[hf.kernelIndex]);
    assert.equal(evaluated.length, 1);
    assert.equal(evaluated[0].weights, out.global);
    assert.deepEqual(evaluated[0].scope, { round: 3, attempt: 1, skip: ['c'] });
    assert.deepEqual(out.summary.sites, ['a', 'b']);
    assert.deepEqual(out.summary.classCounts, [3, 2, 4]);
    assert.equal(
      out.summary.bytesUp,
      encodeClassStats(a).byteLength + encodeClassStats(b).byteLength,
    );
    assert.equal(out.summary.bytesDown, 2 * weightBytes(global));
    assert.equal(out.summary.uncalibratedAccuracy, 0.5);
    assert.equal(out.summary.calibratedAccuracy, 0.75);
    assert.equal(out.final[0].accuracy, 0.75);
    assert.match(logs.join('\n'), /statistics of 2 sites/);
  });

  test('a site with malformed or missing statistics is left out and not asked to evaluate; none usable: null', async () => {
    const m = model();
    const hf = new HeadFeatures(m);
    const global = readWeights(m);
    const scopes: (RoundScope | undefined)[] = [];
    const placement = (answers: SiteClassStats[]): SitePlacement => ({
      placement: 'remote',
      sites: [],
      train: () => Promise.reject(new Error('unused')),
      evaluateGlobal: async (_w, scope) => {
        scopes.push(scope);
        return [];
      },
      classStats: async () => answers,
      dispose: () => undefined,
    });
    const warn: string[] = [];
    const none = await calibrateFederation(
      {
        placement: placement([
          { site: 'a', error: 'timed out' },
          { site: 'b', stats: Float32Array.from([1, 0, 0, 5]) },
        ]),
        global,
        head: hf,
        scope: { round: 2, attempt: 1 },
        seed: 1,
        uncalibrated: [],
      },
      async (line) => void warn.push(line),
    );
    assert.equal(none, null);
    assert.equal(scopes.length, 0);
    assert.match(warn.join('\n'), /site a: timed out/);
    assert.match(warn.join('\n'), /site b: moments/);
  });
});
