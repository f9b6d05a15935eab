import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { UnprocessableError, ValidationError } from '../../platform/errors/domain-error';
import { Dataset } from './dataset';
import {
  resizeDataset,
  tabularAsImages,
  fewShot,
  normalisationStats,
  normalise,
  remapLabels,
  selectClasses,
  shuffleDataset,
  splitCounts,
  stratifiedSplit,
} from './transforms';

/** Tabular set whose single feature is the example's index, so selections are traceable. */
function indexed(countsPerClass: number[]): Dataset {
  const labels = countsPerClass.flatMap((n, c) => new Array<number>(n).fill(c));
  const rows = labels.map((_, i) => [i]);
  return new Dataset(
    { kind: 'tabular', featureNames: ['id'], rows },
    labels,
    countsPerClass.map((_, c) => `c${c}`),
  );
}

const ids = (ds: Dataset): number[] =>
  ds.inputs.kind === 'tabular' ? ds.inputs.rows.map((r) => r[0]) : [];

describe('class subsets and label remapping', () => {
  test('classes 5-9 become a 0-4 target domain in the given order; 0-4 keep their labels', () => {
    const ds = indexed([2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    const target = selectClasses(ds, [5, 6, 7, 8, 9]);
    assert.deepEqual(target.classNames, ['c5', 'c6', 'c7', 'c8', 'c9']);
    assert.deepEqual(target.labels, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    assert.deepEqual(ids(target), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    const source = selectClasses(ds, ['c0', 'c1', 'c2', 'c3', 'c4']);
    assert.deepEqual(source.labels, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    const reversed = selectClasses(ds, [9, 0]);
    assert.deepEqual(reversed.labels, [1, 1, 0, 0]);
  });

  test('general remap merges classes and drops -1', () => {
    const ds = indexed([1, 1, 1]);
    const merged = remapLabels(ds, [0, 0, -1], ['c0+c1']);
    assert.deepEqual(merged.labels, [0, 0]);
    assert.deepEqual(ids(merged), [0, 1]);
    assert.throws(() => selectClasses(ds, [3]), ValidationError);
    assert.throws(() => selectClasses(ds, [1, 1]), /lists a class twice/);
  });
});

describe('few-shot sampling', () => {
  test('exactly perClass examples of each class, without repeats, same seed same sample', () => {
    const ds = indexed([30, 12, 50]);
    const a = fewShot(ds, 10, 7);
    assert.deepEqual(a.stats().countsPerClass, { c0: 10, c1: 10, c2: 10 });
    assert.equal(new Set(ids(a)).size, 30);
    a.labels.forEach((label, i) => assert.equal(ds.labels[ids(a)[i]], label));
    assert.deepEqual(ids(fewShot(ds, 10, 7)), ids(a));
    assert.notDeepEqual(ids(fewShot(ds, 10, 8)), ids(a));
  });

  test('a class with too few examples is a 422 naming it', () => {
    assert.throws(
      () => fewShot(indexed([30, 12]), 20, 1),
      (e: unknown) =>
        e instanceof UnprocessableError &&
        /class "c1" has only 12 examples, 20 requested/.test(e.problems[0].message),
    );
  });
});

describe('stratified split', () => {
  test('largest-remainder counts: sum to n, each within 1 of n * f (Hamilton apportionment)', () => {
    assert.deepEqual(splitCounts(10, { train: 0.7, validation: 0.15, test: 0.15 }), [7, 2, 1]);
    assert.deepEqual(splitCounts(20, { train: 0.7, validation: 0.15, test: 0.15 }), [14, 3, 3]);
    // 3.5, 1.75, 1.75: floors 3, 1, 1; the two leftover units go to the .75 remainders.
    assert.deepEqual(splitCounts(7, { train: 0.5, validation: 0.25, test: 0.25 }), [3, 2, 2]);
    for (let n = 0; n < 60; n++) {
      const c = splitCounts(n, { train: 0.6, validation: 0.3, test: 0.1 });
      assert.equal(c[0] + c[1] + c[2], n);
      [0.6, 0.3, 0.1].forEach((f, i) => assert.ok(Math.abs(c[i] - n * f) < 1));
    }
  });

  test('per-class counts are exact, parts are disjoint and cover the set, seed reproduces', () => {
    const ds = indexed([100, 40, 7]);
    const fractions = { train: 0.6, validation: 0.2, test: 0.2 };
    const split = stratifiedSplit(ds, fractions, 42);
    for (const name of ds.classNames) {
      const n = ds.stats().countsPerClass[name];
      const [a, b, t] = splitCounts(n, fractions);
      assert.equal(split.train.stats().countsPerClass[name], a, `train ${name}`);
      assert.equal(split.validation.stats().countsPerClass[name], b, `validation ${name}`);
      assert.equal(split.test.stats().countsPerClass[name], t, `test ${name}`);
    }
    // Hand-computed: c2 has 7 -> 4.2, 1.4, 1.4 -> 4, 1, 1 and the leftover unit to validation.
    assert.deepEqual(split.train.stats().countsPerClass, { c0: 60, c1: 24, c2: 4 });
    assert.deepEqual(split.validation.stats().countsPerClass, { c0: 20, c1: 8, c2: 2 });
    const all = [...split.indices.train, ...split.indices.validation, ...split.indices.test].sort(
      (x, y) => x - y,
    );
    assert.deepEqual(
      all,
      Array.from({ length: ds.size }, (_, i) => i),
    );
    assert.deepEqual(stratifiedSplit(ds, fractions, 42).indices, split.indices);
    assert.notDeepEqual(stratifiedSplit(ds, fractions, 43).indices, split.indices);
    assert.throws(
      () => stratifiedSplit(ds, { train: 0.5, validation: 0.2, test: 0.2 }, 1),
      /must sum to 1/,
    );
  });

  test('shuffle is a seeded permutation', () => {
    const ds = indexed([5, 5]);
    const s = shuffleDataset(ds, 3);
    assert.deepEqual(
      [...ids(s)].sort((a, b) => a - b),
      ids(ds),
    );
    assert.deepEqual(ids(shuffleDataset(ds, 3)), ids(s));
    s.labels.forEach((label, i) => assert.equal(label, ds.labels[ids(s)[i]]));
  });
});

describe('normalisation', () => {
  test('per-channel mean and population std match the closed form; normalise gives 0 mean, unit std', () => {
    const shape = { height: 1, width: 2, channels: 2 };
    const pixels = [Float32Array.from([0, 1, 2, 1]), Float32Array.from([4, 1, 6, 1])];
    const ds = new Dataset({ kind: 'image', shape, pixels }, [0, 0], ['x']);
    const stats = normalisationStats(ds);
    // channel 0: values 0, 2, 4, 6 -> mean 3, var (9 + 1 + 1 + 9) / 4 = 5; channel 1: constant 1.
    assert.deepEqual(stats.mean, [3, 1]);
    assert.ok(Math.abs(stats.std[0] - Math.sqrt(5)) < 1e-12);
    assert.equal(stats.std[1], 0);
    const n = normalise(ds, stats);
    assert.ok(n.inputs.kind === 'image');
    assert.ok(Math.abs(n.inputs.pixels[0][0] + 3 / Math.sqrt(5)) < 1e-6);
    assert.equal(n.inputs.pixels[1][3], 0);
  });
});

describe('tabular rows as images (digits 8x8) and resizing', () => {
  test('a 2x2 row in 0..16 becomes pixels / 16; nearest 2x2 -> 4x4 replicates each pixel 2x2', () => {
    const ds = new Dataset(
      { kind: 'tabular', featureNames: ['a', 'b', 'c', 'd'], rows: [[0, 4, 8, 16]] },
      [0],
      ['x'],
    );
    const img = tabularAsImages(ds, { height: 2, width: 2, channels: 1 }, 16);
    assert.ok(img.inputs.kind === 'image');
    assert.deepEqual(Array.from(img.inputs.pixels[0]), [0, 0.25, 0.5, 1]);
    const big = resizeDataset(img, { height: 4, width: 4 }, 'nearest');
    assert.ok(big.inputs.kind === 'image');
    assert.deepEqual(
      Array.from(big.inputs.pixels[0]),
      [0, 0, 0.25, 0.25, 0, 0, 0.25, 0.25, 0.5, 0.5, 1, 1, 0.5, 0.5, 1, 1],
    );
    // Bilinear with half-pixel centres: output x = 1 samples source 0.25 -> 0 * 0.75 + 0.25 * 0.25.
    const smooth = resizeDataset(img, { height: 4, width: 4 }, 'bilinear');
    assert.ok(smooth.inputs.kind === 'image');
    assert.equal(smooth.inputs.pixels[0][1], 0.0625);
    assert.throws(
      () => tabularAsImages(ds, { height: 3, width: 3, channels: 1 }, 16),
      /needs 9 features, rows have 4/,
    );
  });
});

test('countsPerClass keeps classes named like Object.prototype members (__proto__, toString)', () => {
  const ds = new Dataset(
    { kind: 'text', texts: ['a', 'b', 'c'] },
    [0, 1, 1],
    ['__proto__', 'toString'],
  );
  const counts = ds.stats().countsPerClass;
  assert.deepEqual(Object.entries(counts), [
    ['__proto__', 1],
    ['toString', 2],
  ]);
  assert.equal(Object.getPrototypeOf(counts), Object.prototype);
  assert.deepEqual(JSON.parse(JSON.stringify(ds.stats())).countsPerClass, {
    ['__proto__']: 1,
    toString: 2,
  });
});
