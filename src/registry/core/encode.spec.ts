import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Dataset } from '../../ml/data';
import { assertNoLeaks, tensorCount } from '../../../test/support/tensors';
import { checkDatasetFits, datasetTensors, normaliseRows, parseInstances } from './encode';

const image = { inputKind: 'image' as const, inputShape: [2, 2, 1], preprocessing: {} };

test('z-score of tabular rows with the stored statistics (hand-computed)', () => {
  const rows = normaliseRows(
    [
      [3, 10],
      [5, 10],
    ],
    { normalise: { mean: [4, 10], std: [2, 0] } },
  );
  // (3-4)/2 = -0.5, (5-4)/2 = 0.5; a zero std only centres.
  assert.deepEqual(rows, [
    [-0.5, 0],
    [0.5, 0],
  ]);
});

test('predict instances: every mismatch is reported with its index and the expected shape', () => {
  assert.equal(parseInstances(image, { images: [[0, 0.5, 1, 0]] }).count, 1);
  assert.throws(
    () =>
      parseInstances(image, {
        images: [
          [0, 0, 0, 0],
          [1, 2],
        ],
      }),
    (e: Error & { problems?: { field: string; message: string }[] }) =>
      e.problems?.[0].field === 'images[1]' &&
      /4 finite numbers \(2x2x1 HWC\), got 2/.test(e.problems[0].message),
  );
  assert.throws(() => parseInstances(image, { rows: [[1]] }), /takes "images"/);
  const tab = { inputKind: 'tabular' as const, inputShape: [3], preprocessing: {} };
  assert.throws(
    () =>
      parseInstances(tab, {
        rows: [
          [1, 2, 3],
          [1, 2],
        ],
      }),
    (e: Error & { problems?: { field: string }[] }) => e.problems?.[0].field === 'rows[1]',
  );
});

test('a data set that does not fit the model names both shapes', () => {
  const ds = new Dataset(
    { kind: 'image', shape: { height: 3, width: 3, channels: 1 }, pixels: [new Float32Array(9)] },
    [0],
    ['a'],
  );
  assert.throws(() => checkDatasetFits(ds, image), /3x3x1 but the model takes 2x2x1/);
});

test('data set tensors: x [n, h, w, c] with the pixels in order, y int32 labels; no leak', () => {
  const before = tensorCount();
  const ds = new Dataset(
    {
      kind: 'image',
      shape: { height: 2, width: 2, channels: 1 },
      pixels: [Float32Array.from([1, 2, 3, 4]), Float32Array.from([5, 6, 7, 8])],
    },
    [1, 0],
    ['a', 'b'],
  );
  const { x, y } = datasetTensors(ds, image);
  assert.deepEqual(x.shape, [2, 2, 2, 1]);
  assert.deepEqual(Array.from(x.dataSync()), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(y.dtype, 'int32');
  assert.deepEqual(Array.from(y.dataSync()), [1, 0]);
  tf.dispose([x, y]);
  assertNoLeaks(before);
});
