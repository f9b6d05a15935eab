import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { UnprocessableError } from '../../platform/errors/domain-error';
import { writeZip } from '../../../test/fixtures/data/zip-writer';
import { grayPng, jpegImage } from '../../../test/fixtures/data/images';
import { readImageDimensions } from './image-header';
import { parseImageZip } from './image-zip';

describe('image dimensions from headers (PNG IHDR, JPEG SOF)', () => {
  test('PNG (pngjs) and baseline JPEG (jpeg-js) sizes, as the decoders report them', () => {
    assert.deepEqual(readImageDimensions(grayPng(7, 3, () => 0)), {
      format: 'png',
      width: 7,
      height: 3,
    });
    // jpeg-js writes APP0 (JFIF), DQT and SOF0 in this order: the segments before SOF are skipped.
    assert.deepEqual(readImageDimensions(jpegImage(5, 9, [1, 2, 3])), {
      format: 'jpeg',
      width: 5,
      height: 9,
    });
  });

  test('a SOF2 (progressive) frame after fill bytes; truncated and unknown files are errors', () => {
    const sof2 = Buffer.from([
      0xff, 0xd8, 0xff, 0xff, 0xc2, 0x00, 0x0b, 0x08, 0x01, 0x2c, 0x02, 0x58, 0x01, 0x01, 0x11,
      0x00,
    ]);
    assert.deepEqual(readImageDimensions(sof2), { format: 'jpeg', width: 600, height: 300 });
    assert.throws(() => readImageDimensions(sof2.subarray(0, 8)), /truncated JPEG/);
    assert.throws(() => readImageDimensions(grayPng(2, 2, () => 0).subarray(0, 20)), /truncated/);
    assert.throws(() => readImageDimensions(Buffer.from('GIF89a')), /unknown signature/);
  });
});

describe('pixel limits per data set, checked before decoding', () => {
  const tile = grayPng(10, 10, (x) => x * 20);

  test('the sum of header sizes over the archive is limited; at the limit it is accepted', async () => {
    const zip = writeZip([
      { name: 'a/1.png', data: tile },
      { name: 'a/2.png', data: tile },
      { name: 'b/3.png', data: tile },
    ]);
    const ok = await parseImageZip(zip, 'z.zip', { limits: { maxTotalPixels: 300 } });
    assert.equal(ok.size, 3);
    await assert.rejects(
      parseImageZip(zip, 'z.zip', { limits: { maxTotalPixels: 299 } }),
      (e: UnprocessableError) =>
        e instanceof UnprocessableError &&
        e.problems[0].field === 'z.zip' &&
        /more than 299 pixels .*AUTODL_DATASET_MAX_PIXELS/.test(e.problems[0].message),
    );
  });

  test('the limit is read from headers: an undecodable image over the limit is refused for its size', async () => {
    // A header declaring 4000x4000 with no image data: decoding would fail, and must not be tried.
    const liar = Buffer.from(grayPng(1, 1, () => 0));
    liar.writeUInt32BE(4000, 16);
    liar.writeUInt32BE(4000, 20);
    const zip = writeZip([
      { name: 'a/1.png', data: tile },
      { name: 'b/2.png', data: liar },
    ]);
    await assert.rejects(
      parseImageZip(zip, 'l.zip', { limits: { maxTotalPixels: 1_000_000 } }),
      /more than 1000000 pixels/,
    );
  });

  test('a resized image counts with its target size (a resize bomb of tiny images)', async () => {
    const dot = grayPng(1, 1, () => 0);
    const zip = writeZip([
      { name: 'a/1.png', data: dot },
      { name: 'b/2.png', data: dot },
    ]);
    const resize = { method: 'nearest' as const, height: 20, width: 20 };
    assert.equal(
      (await parseImageZip(zip, 'r.zip', { resize, limits: { maxTotalPixels: 800 } })).size,
      2,
    );
    await assert.rejects(
      parseImageZip(zip, 'r.zip', { resize, limits: { maxTotalPixels: 799 } }),
      /more than 799 pixels/,
    );
  });
});
