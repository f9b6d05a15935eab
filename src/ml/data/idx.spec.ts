import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { UnprocessableError } from '../../platform/errors/domain-error';
import { encodeIdx, idxImageDataset, parseIdx } from './idx';

describe('IDX (LeCun MNIST file format)', () => {
  test('hand-made uint8 buffer: magic 0x00000803, dims big-endian, values row-major', () => {
    // 2 images of 2x3: header 00 00 08 03 | 00000002 | 00000002 | 00000003 | 12 bytes.
    const buf = Buffer.from([
      0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 3, 4, 5, 255, 254, 253, 252, 251,
      250,
    ]);
    const arr = parseIdx(buf, 'imgs.idx');
    assert.equal(arr.type, 'uint8');
    assert.deepEqual(arr.dims, [2, 2, 3]);
    assert.deepEqual(Array.from(arr.data), [0, 1, 2, 3, 4, 5, 255, 254, 253, 252, 251, 250]);
    assert.deepEqual(encodeIdx(arr), buf);
  });

  test('round trip of every type, gzipped or not (big-endian multi-byte values)', () => {
    const cases = [
      { type: 'int8' as const, data: Int8Array.from([-128, 0, 127, -1]) },
      { type: 'int16' as const, data: Int16Array.from([-32768, 258, 32767, -2]) },
      { type: 'int32' as const, data: Int32Array.from([-2147483648, 16909060, 2147483647, -3]) },
      { type: 'float32' as const, data: Float32Array.from([1.5, -0.25, 3e10, 0]) },
      { type: 'float64' as const, data: Float64Array.from([Math.PI, -Math.E, 1e-300, 0]) },
    ];
    for (const c of cases) {
      const encoded = encodeIdx({ type: c.type, dims: [2, 2], data: c.data });
      for (const buf of [encoded, gzipSync(encoded)]) {
        const back = parseIdx(buf, 'x');
        assert.equal(back.type, c.type);
        assert.deepEqual(Array.from(back.data), Array.from(c.data));
      }
    }
    // int16 258 = 0x0102 is stored as bytes 01 02 (big-endian).
    const int16 = encodeIdx({ type: 'int16', dims: [1], data: Int16Array.from([258]) });
    assert.deepEqual([...int16.subarray(8)], [1, 2]);
  });

  test('errors name the file: bad magic, truncated data, label/image count mismatch', () => {
    assert.throws(
      () => parseIdx(Buffer.from([1, 0, 8, 1, 0, 0, 0, 0]), 'a.idx'),
      (e: unknown) => e instanceof UnprocessableError && e.problems[0].field === 'a.idx',
    );
    const truncated = encodeIdx({
      type: 'uint8',
      dims: [4],
      data: Uint8Array.from([1, 2, 3, 4]),
    }).subarray(0, 10);
    assert.throws(
      () => parseIdx(truncated, 'b.idx'),
      /b\.idx: IDX dimensions 4 of uint8 need 12 bytes, file has 10/,
    );
    const images = encodeIdx({ type: 'uint8', dims: [2, 1, 1], data: Uint8Array.from([0, 255]) });
    const labels = encodeIdx({ type: 'uint8', dims: [3], data: Uint8Array.from([0, 1, 1]) });
    assert.throws(
      () => idxImageDataset({ images, labels, imagesFile: 'i.idx', labelsFile: 'l.idx' }),
      (e: unknown) =>
        e instanceof UnprocessableError &&
        e.problems[0].field === 'l.idx' &&
        /3 labels but i\.idx has 2 images/.test(e.message),
    );
  });

  test('image data set: pixels / 255, shape [rows, cols, 1], labels and class names', () => {
    const images = encodeIdx({
      type: 'uint8',
      dims: [2, 1, 2],
      data: Uint8Array.from([0, 51, 255, 102]),
    });
    const labels = encodeIdx({ type: 'uint8', dims: [2], data: Uint8Array.from([1, 0]) });
    const ds = idxImageDataset({
      images: gzipSync(images),
      labels,
      imagesFile: 'i',
      labelsFile: 'l',
      classNames: ['a', 'b'],
    });
    assert.deepEqual(ds.stats().imageShape, { height: 1, width: 2, channels: 1 });
    assert.deepEqual(ds.labels, [1, 0]);
    assert.ok(ds.inputs.kind === 'image');
    assert.deepEqual(Array.from(ds.inputs.pixels[0]), [0, Math.fround(0.2)]);
    assert.deepEqual(Array.from(ds.inputs.pixels[1]), [1, Math.fround(0.4)]);
  });
});
