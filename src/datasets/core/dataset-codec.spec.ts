import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataset } from '../../ml/data';
import { decodeDataset, encodeDataset, joinSplits, splitsOf } from './dataset-codec';

const images = new Dataset(
  {
    kind: 'image',
    shape: { height: 1, width: 2, channels: 1 },
    pixels: [
      Float32Array.from([0, 0.25]),
      Float32Array.from([0.5, 1]),
      Float32Array.from([0.125, 0.75]),
    ],
  },
  [0, 1, 1],
  ['a', 'b'],
);

describe('data set file format', () => {
  test('layout: ADS1, uint32 LE header length, JSON header, Float32 LE pixels (hand-computed offsets)', () => {
    const buf = encodeDataset(images, { train: [0, 1], validation: [], test: [2] });
    assert.equal(buf.toString('ascii', 0, 4), 'ADS1');
    const headerLength = buf.readUInt32LE(4);
    const header = JSON.parse(buf.toString('utf8', 8, 8 + headerLength));
    assert.deepEqual(header.labels, [0, 1, 1]);
    assert.deepEqual(header.split, { train: [0, 1], validation: [], test: [2] });
    // 3 examples x 2 pixels x 4 bytes follow the header; example 1 pixel 1 is 1.0.
    assert.equal(buf.length, 8 + headerLength + 3 * 2 * 4);
    assert.equal(buf.readFloatLE(8 + headerLength + (1 * 2 + 1) * 4), 1);
  });

  test('decoding gives back every pixel, label, class name and split, even at an odd header length', () => {
    for (const name of [
      ['a', 'b'],
      ['a', 'bb'],
      ['a', 'bbb'],
      ['a', 'bbbb'],
    ]) {
      const ds = images.withLabels(images.labels, name);
      const back = decodeDataset(encodeDataset(ds, { train: [2], validation: [1], test: [0] }));
      assert.deepEqual(back.dataset.classNames, name);
      assert.deepEqual(back.dataset.labels, [0, 1, 1]);
      assert.deepEqual(back.split, { train: [2], validation: [1], test: [0] });
      const px = back.dataset.inputs.kind === 'image' ? back.dataset.inputs.pixels : [];
      assert.deepEqual(
        px.map((p) => Array.from(p)),
        [
          [0, 0.25],
          [0.5, 1],
          [0.125, 0.75],
        ],
      );
    }
  });

  test('tabular and text sets keep rows, feature names and texts', () => {
    const tab = new Dataset(
      {
        kind: 'tabular',
        featureNames: ['x', 'y'],
        rows: [
          [1, 2],
          [3, 4.5],
        ],
      },
      [1, 0],
      ['n', 'p'],
    );
    const t = decodeDataset(encodeDataset(tab, { train: [0], validation: [], test: [1] })).dataset;
    assert.deepEqual(t.inputs, {
      kind: 'tabular',
      featureNames: ['x', 'y'],
      rows: [
        [1, 2],
        [3, 4.5],
      ],
    });
    const txt = new Dataset({ kind: 'text', texts: ['héllo wörld', 'b'] }, [0, 1], ['x', 'y']);
    assert.deepEqual(
      decodeDataset(encodeDataset(txt, { train: [0, 1], validation: [], test: [] })).dataset.inputs,
      txt.inputs,
    );
  });

  test('a truncated file is a 422, not a crash', () => {
    const buf = encodeDataset(images, { train: [0, 1, 2], validation: [], test: [] });
    assert.throws(() => decodeDataset(buf.subarray(0, buf.length - 3)), /corrupt/);
    assert.throws(() => decodeDataset(Buffer.from('nope')), /corrupt/);
  });

  test('joinSplits puts train, validation, test back to back and splitsOf recovers them', () => {
    const stored = joinSplits(images.select([2]), images.select([0]), images.select([1]));
    assert.deepEqual(stored.split, { train: [0], validation: [1], test: [2] });
    const parts = splitsOf(stored);
    assert.deepEqual(
      [parts.train.labels, parts.validation.labels, parts.test.labels],
      [[1], [0], [1]],
    );
  });
});
