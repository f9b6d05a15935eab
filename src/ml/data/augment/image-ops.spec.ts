import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../platform/core/rng';
import { ValidationError } from '../../../platform/errors/domain-error';
import {
  addNoise,
  flipHorizontal,
  flipVertical,
  padCrop,
  rotate,
  scale,
  translate,
} from './image-ops';
import { ImageAugmenter, createImageAugmentation, IMAGE_AUGMENTATIONS } from './image-augment';

// A 2x3 single-channel image:
//   1 2 3
//   4 5 6
const img23 = Float32Array.from([1, 2, 3, 4, 5, 6]);
const shape23 = { height: 2, width: 3, channels: 1 };
const close = (a: Float32Array, b: number[], tol = 1e-6): void => {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol, `index ${i}: ${v} vs ${b[i]}`));
};

describe('image ops on hand-computed arrays', () => {
  test('flips of a 2x3 image', () => {
    assert.deepEqual(Array.from(flipHorizontal(img23, shape23)), [3, 2, 1, 6, 5, 4]);
    assert.deepEqual(Array.from(flipVertical(img23, shape23)), [4, 5, 6, 1, 2, 3]);
  });

  test('horizontal flip keeps channels together (1x2 RGB)', () => {
    const rgb = Float32Array.from([1, 2, 3, 4, 5, 6]);
    assert.deepEqual(
      Array.from(flipHorizontal(rgb, { height: 1, width: 2, channels: 3 })),
      [4, 5, 6, 1, 2, 3],
    );
  });

  test('translate fills with zeros; pad-crop at (pad, pad) is the identity', () => {
    assert.deepEqual(Array.from(translate(img23, shape23, 0, 1)), [0, 1, 2, 0, 4, 5]);
    assert.deepEqual(Array.from(translate(img23, shape23, -1, 0)), [4, 5, 6, 0, 0, 0]);
    assert.deepEqual(Array.from(padCrop(img23, shape23, 2, 2, 2)), [1, 2, 3, 4, 5, 6]);
    // Crop at top 1, left 3 of the 2-padded image = content shifted down 1 and left 1.
    assert.deepEqual(Array.from(padCrop(img23, shape23, 2, 1, 3)), [0, 0, 0, 2, 3, 0]);
  });

  test('rotate by 90 degrees counter-clockwise permutes a 3x3 image exactly', () => {
    const img = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const shape = { height: 3, width: 3, channels: 1 };
    // 1 2 3      3 6 9
    // 4 5 6  ->  2 5 8
    // 7 8 9      1 4 7
    close(rotate(img, shape, 90), [3, 6, 9, 2, 5, 8, 1, 4, 7]);
    close(rotate(img, shape, 180), [9, 8, 7, 6, 5, 4, 3, 2, 1]);
    close(rotate(img, shape, 0), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('rotate by 45 degrees: the centre stays, corners fall outside and get the fill value', () => {
    const img = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const out = rotate(img, { height: 3, width: 3, channels: 1 }, 45);
    assert.equal(out[4], 5);
    // Corner (0, 0) is at distance sqrt(2) from the centre: it maps to (-sqrt 2, 0) offsets, outside.
    assert.equal(out[0], 0);
    // Output (0, 1) has offset (dy, dx) = (-1, 0); rotating back by -45 degrees gives source
    // offset (-cos45, sin45) = (-s, s): position (1 - s, 1 + s), bilinear over pixels 2, 3, 5, 6.
    const s = Math.SQRT1_2;
    const fy = 1 - s;
    const fx = s;
    const expected = (2 * (1 - fx) + 3 * fx) * (1 - fy) + (5 * (1 - fx) + 6 * fx) * fy;
    assert.ok(Math.abs(out[1] - expected) < 1e-6);
  });

  test('scale by 2 about the centre of a 1x4 row samples at half offsets (bilinear)', () => {
    const row = Float32Array.from([0, 10, 20, 30]);
    // centre 1.5; output x -> source 1.5 + (x - 1.5) / 2 = 0.75, 1.25, 1.75, 2.25.
    close(scale(row, { height: 1, width: 4, channels: 1 }, 2), [7.5, 12.5, 17.5, 22.5], 1e-5);
    // factor 0.5: sources -1.5, 0.5, 2.5, 4.5 -> outside, 5, 25, outside.
    close(scale(row, { height: 1, width: 4, channels: 1 }, 0.5), [0, 5, 25, 0], 1e-5);
  });

  test('Gaussian noise: mean ~ 0 and std ~ sigma over 20000 values (3-sigma bounds)', () => {
    const rng = new Rng(5);
    const n = 20000;
    const out = addNoise(new Float32Array(n), () => rng.normal(), 0.1);
    let sum = 0;
    let sq = 0;
    for (const v of out) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / n;
    const std = Math.sqrt(sq / n - mean * mean);
    assert.ok(Math.abs(mean) < (3 * 0.1) / Math.sqrt(n));
    assert.ok(Math.abs(std - 0.1) < (3 * 0.1) / Math.sqrt(2 * n));
  });
});

describe('random augmentations', () => {
  test('every registered augmentation is deterministic for a seed and keeps the shape', () => {
    const shape = { height: 4, width: 5, channels: 3 };
    const base = new Rng(1);
    const img = Float32Array.from({ length: 60 }, () => base.float());
    for (const name of Object.keys(IMAGE_AUGMENTATIONS) as (keyof typeof IMAGE_AUGMENTATIONS)[]) {
      const aug = createImageAugmentation({ name });
      const a = aug.apply(img, shape, new Rng(9));
      const b = aug.apply(img, shape, new Rng(9));
      assert.equal(a.length, 60, name);
      assert.deepEqual(Array.from(a), Array.from(b), name);
    }
  });

  test('flip with probability 1 always flips; the pipeline composes in order', () => {
    const aug = new ImageAugmenter([
      { name: 'flip', probability: 1 },
      { name: 'flip', horizontal: false, vertical: true, probability: 1 },
    ]);
    assert.deepEqual(Array.from(aug.apply(img23, shape23, new Rng(0))), [6, 5, 4, 3, 2, 1]);
  });

  test('bad options name the field', () => {
    assert.throws(
      () => createImageAugmentation({ name: 'rotate', maxDegrees: -1 }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'rotate.maxDegrees',
    );
    assert.throws(
      () => new ImageAugmenter([{ name: 'crop', padding: 'x' }]),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'augment[0].padding',
    );
    assert.throws(
      () => createImageAugmentation({ name: 'blur' as 'flip' }),
      /unknown augmentation "blur"/,
    );
  });
});
