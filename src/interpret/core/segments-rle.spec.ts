import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSegments, encodeSegments } from './segments-rle';
import { slic } from './slic';
import { blockImage } from '../../../test/support/interpret-fixtures';

test('segments RLE: runs of equal labels, and decode inverts encode on a SLIC map', () => {
  assert.deepEqual(encodeSegments([0, 0, 1, 1, 1, 0, 2]), [0, 2, 1, 3, 0, 1, 2, 1]);
  assert.deepEqual(encodeSegments([]), []);
  const img = blockImage(3);
  const { labels } = slic(img, { nSegments: 16 });
  const rle = encodeSegments(labels);
  assert.deepEqual(Array.from(decodeSegments(rle)), Array.from(labels));
  assert.ok(rle.length < labels.length, `${rle.length} numbers for ${labels.length} pixels`);
});
