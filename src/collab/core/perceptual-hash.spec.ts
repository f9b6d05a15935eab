import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import referenceJson from '../../../test/fixtures/collab/imagehash-reference.json';
import {
  averageHash,
  dct2,
  differenceHash,
  hammingDistance,
  hashHex,
  imageHash,
  perceptualHash,
  resizeLanczos,
  toGray,
  type GrayImage,
} from './perceptual-hash';

interface Reference {
  name: string;
  width: number;
  height: number;
  pixels: string;
  ahash: string;
  dhash: string;
  phash: string;
}

/** Hashes computed by imagehash's definitions on Pillow 9.4 + scipy (bench/collab/imagehash_reference.py). */
const reference = referenceJson as { images: Reference[] };

const image = (r: Reference): GrayImage => ({
  width: r.width,
  height: r.height,
  pixels: new Uint8Array(Buffer.from(r.pixels, 'base64')),
});

describe('perceptual hashes (imagehash definitions on Pillow LANCZOS resize)', () => {
  test('aHash, dHash and pHash equal the Pillow + scipy reference bit for bit on 10 images', () => {
    assert.equal(reference.images.length, 10);
    for (const r of reference.images) {
      const img = image(r);
      assert.equal(hashHex(averageHash(img)), r.ahash, `${r.name} aHash`);
      assert.equal(hashHex(differenceHash(img)), r.dhash, `${r.name} dHash`);
      assert.equal(hashHex(perceptualHash(img)), r.phash, `${r.name} pHash`);
    }
  });

  test('hand cases: a constant image, a left-to-right ramp, Hamming distance, hex', () => {
    const flat: GrayImage = { width: 28, height: 28, pixels: new Uint8Array(784).fill(77) };
    // Lanczos weights sum to 1: a constant image stays constant, so no pixel exceeds the mean
    // and no pixel exceeds its left neighbour.
    assert.deepEqual([...resizeLanczos(flat, 8, 8).pixels], new Array(64).fill(77));
    assert.equal(hashHex(averageHash(flat)), '0000000000000000');
    assert.equal(hashHex(differenceHash(flat)), '0000000000000000');
    const ramp: GrayImage = {
      width: 28,
      height: 28,
      pixels: Uint8Array.from({ length: 784 }, (_, i) => (i % 28) * 9),
    };
    // Brighter to the right: every dHash bit is 1; aHash is 1 on the right half of each row.
    assert.equal(hashHex(differenceHash(ramp)), 'ffffffffffffffff');
    assert.equal(hashHex(averageHash(ramp)), '0f0f0f0f0f0f0f0f');
    assert.equal(hammingDistance(averageHash(ramp), averageHash(flat)), 32);
    assert.equal(hashHex([true, false, true, false, false, false, false, true]), 'a1');
    assert.throws(() => hammingDistance([true], [true, false]), /lengths differ/);
  });

  test('DCT-II as scipy.fftpack.dct (norm=None): y_0 = 2 sum x, y_1 of [1, 0] = 2 cos(pi/4)', () => {
    const y = dct2([1, 0]);
    assert.ok(Math.abs(y[0] - 2) < 1e-12);
    assert.ok(Math.abs(y[1] - 2 * Math.cos(Math.PI / 4)) < 1e-12);
    const c = dct2([3, 3, 3, 3]);
    assert.ok(Math.abs(c[0] - 24) < 1e-12);
    for (const v of c.slice(1)) assert.ok(Math.abs(v) < 1e-12, `${v}`);
  });

  test('a [0, 1] image becomes 8-bit pixels (clamped, rounded); every kind hashes to 64 bits', () => {
    const g = toGray([0, 0.5, 1.2, -0.1], 2, 2);
    assert.deepEqual([...g.pixels], [0, 128, 255, 0]);
    for (const kind of ['ahash', 'dhash', 'phash'] as const)
      assert.equal(imageHash(kind, image(reference.images[0])).length, 64);
  });
});
