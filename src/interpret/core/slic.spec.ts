import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../platform/core/rng';
import { slic, toLab } from './slic';
import type { RgbImage } from './types';

function image(
  w: number,
  h: number,
  colour: (x: number, y: number) => [number, number, number],
): RgbImage {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(colour(x, y), (y * w + x) * 3);
  return { width: w, height: h, data };
}

describe('SLIC superpixels', () => {
  test('CIELAB conversion matches reference values: white (100, 0, 0), sRGB red (53.24, 80.09, 67.20)', () => {
    const lab = toLab(image(2, 1, (x) => (x === 0 ? [1, 1, 1] : [1, 0, 0])));
    assert.ok(Math.abs(lab[0] - 100) < 0.01 && Math.abs(lab[1]) < 0.01 && Math.abs(lab[2]) < 0.01);
    assert.ok(
      Math.abs(lab[3] - 53.24) < 0.05 &&
        Math.abs(lab[4] - 80.09) < 0.05 &&
        Math.abs(lab[5] - 67.2) < 0.05,
    );
  });

  test('gives roughly the requested number of compact, connected segments (Achanta et al. 2012)', () => {
    const rng = new Rng(1);
    const img = image(64, 48, (x, y) => [x / 64 + rng.normal(0, 0.02), y / 48, 0.5]);
    const k = 48;
    const { labels, count } = slic(img, { nSegments: k });
    assert.ok(count >= k / 2 && count <= 2 * k, `count ${count}`);
    const s = Math.sqrt((64 * 48) / k);
    const box = Array.from({ length: count }, () => [Infinity, Infinity, -Infinity, -Infinity, 0]);
    labels.forEach((l, p) => {
      const b = box[l];
      const x = p % 64;
      const y = Math.floor(p / 64);
      b[0] = Math.min(b[0], x);
      b[1] = Math.min(b[1], y);
      b[2] = Math.max(b[2], x);
      b[3] = Math.max(b[3], y);
      b[4] += 1;
    });
    // Connectivity: flood-filling from one pixel of a segment reaches all of its pixels.
    const seen = new Uint8Array(labels.length);
    for (let start = 0; start < labels.length; start++) {
      if (seen[start]) continue;
      const stack = [start];
      seen[start] = 1;
      let size = 0;
      while (stack.length > 0) {
        const p = stack.pop() as number;
        size++;
        const x = p % 64;
        for (const q of [x > 0 ? p - 1 : -1, x < 63 ? p + 1 : -1, p - 64, p + 64]) {
          if (q >= 0 && q < labels.length && !seen[q] && labels[q] === labels[p]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
      assert.equal(size, box[labels[start]][4], `segment ${labels[start]} is not connected`);
    }
    for (const b of box) {
      assert.ok(b[2] - b[0] <= 3 * s && b[3] - b[1] <= 3 * s, `segment box ${b} wider than 3S`);
      assert.ok(b[4] <= 4 * s * s, `segment area ${b[4]}`);
    }
  });

  test('respects a sharp colour edge: no segment crosses a red/blue boundary', () => {
    const rng = new Rng(2);
    const img = image(
      48,
      48,
      (x) =>
        (x < 21 ? [0.9, 0.1, 0.1] : [0.1, 0.1, 0.9]).map((v) => v + rng.normal(0, 0.03)) as [
          number,
          number,
          number,
        ],
    );
    const { labels, count } = slic(img, { nSegments: 16 });
    const sides = Array.from({ length: count }, () => [0, 0]);
    labels.forEach((l, p) => (sides[l][p % 48 < 21 ? 0 : 1] += 1));
    for (const [a, b] of sides)
      assert.ok(Math.min(a, b) === 0, `segment with ${a} left and ${b} right pixels`);
  });
});
