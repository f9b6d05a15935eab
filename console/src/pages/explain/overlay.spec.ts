import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeSegments,
  divergingColour,
  heatmapPixels,
  highlightPixels,
  weightScale,
} from './overlay';

test('decodeSegments inverts the server run-length encoding', () => {
  assert.deepEqual(Array.from(decodeSegments([0, 2, 1, 3, 0, 1])), [0, 0, 1, 1, 1, 0]);
});

test('diverging colours: ColorBrewer RdBu end points, white-ish at 0, clamped', () => {
  assert.deepEqual(divergingColour(1), [178, 24, 43]);
  assert.deepEqual(divergingColour(-1), [33, 102, 172]);
  assert.deepEqual(divergingColour(0), [247, 247, 247]);
  assert.deepEqual(divergingColour(5), divergingColour(1));
  assert.deepEqual(divergingColour(Number.NaN), divergingColour(0));
});

test('heatmap pixels: colour by the superpixel weight, alpha = opacity x |weight| / max |weight|', () => {
  const segments = decodeSegments([0, 2, 1, 1, 2, 1]);
  const weights = [0.5, -0.25, 0];
  assert.equal(weightScale(weights), 0.5);
  const px = heatmapPixels(segments, weights, 0.8);
  assert.equal(px.length, 16);
  assert.deepEqual(Array.from(px.slice(0, 4)), [178, 24, 43, 204]);
  assert.deepEqual(Array.from(px.slice(4, 8)), [178, 24, 43, 204]);
  assert.deepEqual(Array.from(px.slice(8, 12)), [...divergingColour(-0.5), 102]);
  assert.equal(px[15], 0, 'a zero-weight superpixel leaves the image visible');
  assert.ok(heatmapPixels(segments, weights, 0).every((v, i) => i % 4 !== 3 || v === 0));
});

test('highlight: only the chosen superpixel stays clear', () => {
  const px = highlightPixels(decodeSegments([3, 1, 4, 2]), 4);
  assert.deepEqual([px[3], px[7], px[11]], [170, 0, 0]);
});
