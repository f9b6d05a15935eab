import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataset } from '../../ml/data/dataset';
import type { StoredDataset } from '../../datasets/core/dataset-codec';
import { ValidationError } from '../../platform/errors/domain-error';
import { siteDatasets } from './site-datasets';
import { splitSites } from './splitters';

/** The rows of a tabular data set (this spec builds only those). */
function rowsOf(d: Dataset): readonly (readonly number[])[] {
  if (d.inputs.kind !== 'tabular') throw new Error('a tabular data set');
  return d.inputs.rows;
}

/** 3 classes x 40 rows; the row's one feature is its index, so examples can be traced. */
function source(): StoredDataset {
  const n = 120;
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  const rows = Array.from({ length: n }, (_, i) => [i]);
  const dataset = new Dataset({ kind: 'tabular', featureNames: ['index'], rows }, labels, [
    'a',
    'b',
    'c',
  ]);
  // Every 5th example tests, every 7th (not 5th) validates, the rest train.
  const split = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  for (let i = 0; i < n; i++)
    (i % 5 === 0 ? split.test : i % 7 === 0 ? split.validation : split.train).push(i);
  return { dataset, split };
}

/** The source index of every example of a site, per split (the row's feature). */
function traced(site: StoredDataset) {
  const rows = rowsOf(site.dataset);
  const of = (idx: number[]) => idx.map((i) => rows[i][0]).sort((a, b) => a - b);
  return {
    train: of(site.split.train),
    validation: of(site.split.validation),
    test: of(site.split.test),
  };
}

describe('site data sets: one data set split into N sites for a federation experiment', () => {
  test('the sites partition the source, and every example keeps its split and label', () => {
    const src = source();
    const sites = siteDatasets(src, 4, { kind: 'dirichlet', alpha: 0.5 }, 7);
    assert.equal(sites.length, 4);
    for (const part of ['train', 'validation', 'test'] as const) {
      const union = sites.flatMap((s) => traced(s)[part]).sort((a, b) => a - b);
      assert.deepEqual(
        union,
        [...src.split[part]].sort((a, b) => a - b),
        part,
      );
    }
    for (const s of sites) {
      const rows = rowsOf(s.dataset);
      rows.forEach((r, i) => assert.equal(s.dataset.labels[i], src.dataset.labels[r[0]]));
      assert.deepEqual(s.dataset.classNames, ['a', 'b', 'c']);
    }
  });

  test('the examples of each site are the ones splitSites deals it (same seed, same spec)', () => {
    const src = source();
    const spec = { kind: 'dirichlet' as const, alpha: 0.5 };
    const expected = splitSites(src.dataset.labels, 3, spec, 11);
    siteDatasets(src, 3, spec, 11).forEach((s, k) => {
      const t = traced(s);
      const all = [...t.train, ...t.validation, ...t.test].sort((a, b) => a - b);
      assert.deepEqual(all, expected[k]);
    });
  });

  test('disjoint classes: each site holds only its classes, in every split', () => {
    const sites = siteDatasets(source(), 3, { kind: 'classes' }, 1);
    const classesOf = sites.map((s) => new Set(s.dataset.labels));
    classesOf.forEach((c) => assert.equal(c.size, 1));
    assert.equal(new Set(classesOf.map((c) => [...c][0])).size, 3);
  });

  test('a site left without a training example is a ValidationError naming sites', () => {
    const src = source();
    // One training example in all: one of the two sites gets none.
    const tiny: StoredDataset = {
      dataset: src.dataset,
      split: { train: [1], validation: [], test: src.split.test },
    };
    assert.throws(
      () => siteDatasets(tiny, 2, { kind: 'iid' }, 0),
      (e: unknown) =>
        e instanceof ValidationError && /site [12] of 2 got no training example/.test(e.message),
    );
  });
});
