import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { UnprocessableError, ValidationError } from '../../platform/errors/domain-error';
import { writeZip } from '../../../test/fixtures/data/zip-writer';
import { grayPng, jpegImage, png } from '../../../test/fixtures/data/images';
import { parseImageZip } from './image-zip';

async function problemsOf(
  promise: Promise<unknown>,
): Promise<{ field: string; message: string }[]> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof UnprocessableError) return e.problems;
    throw e;
  }
  assert.fail('expected an UnprocessableError');
}

const square = (v: number): Buffer => grayPng(2, 2, () => v);

describe('zip of class folders of images', () => {
  test('classes from folder names (sorted), common top folder stripped, gray PNG -> 1 channel', async () => {
    const zip = writeZip([
      { name: 'pets/' },
      { name: 'pets/dog/' },
      { name: 'pets/dog/b.png', data: square(255) },
      { name: 'pets/cat/a.png', data: grayPng(2, 2, (x, y) => 51 * (x + 2 * y)) },
      { name: 'pets/dog/a.png', data: square(0), method: 'store' },
      { name: '__MACOSX/pets/._a.png', data: Buffer.from('junk') },
    ]);
    const ds = await parseImageZip(zip, 'up.zip');
    assert.deepEqual(ds.classNames, ['cat', 'dog']);
    assert.deepEqual(ds.labels, [0, 1, 1]);
    assert.deepEqual(ds.stats().imageShape, { height: 2, width: 2, channels: 1 });
    assert.ok(ds.inputs.kind === 'image');
    // Gray value v maps to luma (0.299 + 0.587 + 0.114) * v / 255 = v / 255.
    assert.deepEqual(
      Array.from(ds.inputs.pixels[0]).map((v) => Math.round(v * 255)),
      [0, 51, 102, 153],
    );
    assert.deepEqual(Array.from(ds.inputs.pixels[1]), [0, 0, 0, 0]);
    assert.deepEqual(Array.from(ds.inputs.pixels[2]), [1, 1, 1, 1]);
  });

  test('colour anywhere -> RGB for all; JPEG decoded; explicit channels: 1 uses BT.601 luma', async () => {
    const zip = writeZip([
      { name: 'red/r.png', data: png(2, 2, () => [255, 0, 0]) },
      { name: 'gray/g.jpg', data: jpegImage(2, 2, [128, 128, 128]) },
    ]);
    const rgb = await parseImageZip(zip, 'c.zip');
    assert.equal(rgb.stats().imageShape?.channels, 3);
    assert.ok(rgb.inputs.kind === 'image');
    assert.deepEqual(Array.from(rgb.inputs.pixels[1].subarray(0, 3)), [1, 0, 0]);
    assert.ok(
      Math.abs(rgb.inputs.pixels[0][0] - 128 / 255) < 3 / 255,
      'JPEG gray ~128 within codec error',
    );
    const gray = await parseImageZip(zip, 'c.zip', { channels: 1 });
    assert.ok(gray.inputs.kind === 'image');
    assert.ok(Math.abs(gray.inputs.pixels[1][0] - 0.299) < 1e-6);
  });

  test('path traversal and absolute paths are refused, naming the entry', async () => {
    const zip = writeZip([
      { name: 'ok/a.png', data: square(1) },
      { name: '../evil/a.png', data: square(1) },
      { name: 'ok/../../b.png', data: square(1) },
      { name: '/etc/c.png', data: square(1) },
      { name: 'C:/d.png', data: square(1) },
    ]);
    const problems = await problemsOf(parseImageZip(zip, 'up.zip'));
    assert.deepEqual(
      problems.map((p) => p.field),
      ['up.zip:../evil/a.png', 'up.zip:ok/../../b.png', 'up.zip:/etc/c.png', 'up.zip:C:/d.png'],
    );
    assert.match(problems[0].message, /path traversal/);
    assert.match(problems[2].message, /absolute path/);
  });

  test('zip bomb: a high inflation ratio is stopped while streaming, naming the entry', async () => {
    // 4 MiB of zeros deflate to ~4 KiB: ratio ~1000, above the limit of 100.
    const zip = writeZip([{ name: 'a/bomb.png', data: Buffer.alloc(4 * 1024 * 1024) }]);
    assert.ok(zip.length < 16 * 1024);
    const problems = await problemsOf(parseImageZip(zip, 'b.zip'));
    assert.equal(problems[0].field, 'b.zip:a/bomb.png');
    assert.match(problems[0].message, /inflates more than 100x/);
  });

  test('zip bomb: headers that under-declare the size, total size and entry count limits', async () => {
    const lying = writeZip([
      { name: 'a/x.png', data: Buffer.alloc(64 * 1024, 7), declaredSize: 100 },
    ]);
    const p1 = await problemsOf(parseImageZip(lying, 'l.zip'));
    assert.equal(p1[0].field, 'l.zip:a/x.png');
    assert.match(p1[0].message, /too many bytes/);
    const two = writeZip([
      { name: 'a/1.png', data: square(1), method: 'store' },
      { name: 'a/2.png', data: square(2), method: 'store' },
    ]);
    const p2 = await problemsOf(
      parseImageZip(two, 't.zip', { limits: { maxTotalBytes: square(1).length + 10 } }),
    );
    assert.equal(p2[0].field, 't.zip:a/2.png');
    assert.match(p2[0].message, /inflates to more than/);
    const p3 = await problemsOf(parseImageZip(two, 'e.zip', { limits: { maxEntries: 1 } }));
    assert.deepEqual(p3, [{ field: 'e.zip', message: 'archive has more than 1 entries (limit)' }]);
  });

  test('a corrupt PNG and a non-image file are named; nothing is returned', async () => {
    const good = square(9);
    const corrupt = Buffer.from(good);
    corrupt.fill(0, 40, good.length - 12); // keep the signature and IHDR, destroy IDAT.
    const zip = writeZip([
      { name: 'a/good.png', data: good },
      { name: 'a/bad.png', data: corrupt },
      { name: 'b/notes.txt', data: Buffer.from('hello') },
      { name: 'b/fake.jpg', data: Buffer.from('not a jpeg') },
    ]);
    const problems = await problemsOf(parseImageZip(zip, 'u.zip'));
    assert.deepEqual(
      problems.map((p) => p.field),
      ['u.zip:a/bad.png', 'u.zip:b/notes.txt', 'u.zip:b/fake.jpg'],
    );
    assert.match(problems[0].message, /corrupt or unreadable image/);
  });

  test('mixed sizes are refused naming the entry, or resized with an explicit method', async () => {
    const zip = writeZip([
      { name: 'a/1.png', data: square(0) },
      { name: 'b/2.png', data: grayPng(4, 4, (x) => (x < 2 ? 0 : 255)) },
    ]);
    const problems = await problemsOf(parseImageZip(zip, 'm.zip'));
    assert.deepEqual(
      problems.map((p) => p.field),
      ['m.zip:b/2.png'],
    );
    assert.match(problems[0].message, /is 4x4 but a\/1\.png is 2x2; pass a resize option/);
    const nearest = await parseImageZip(zip, 'm.zip', { resize: { method: 'nearest' } });
    assert.ok(nearest.inputs.kind === 'image');
    // 4 -> 2 nearest with half-pixel centres samples source columns 1 and 3.
    assert.deepEqual(Array.from(nearest.inputs.pixels[1]), [0, 1, 0, 1]);
    const bilinear = await parseImageZip(zip, 'm.zip', {
      resize: { method: 'bilinear', height: 1, width: 1 },
    });
    assert.ok(bilinear.inputs.kind === 'image');
    // 4 -> 1 bilinear samples the centre (1.5, 1.5): halfway between columns 1 (0) and 2 (1).
    assert.deepEqual(Array.from(bilinear.inputs.pixels[1]), [0.5]);
  });

  test('an empty class folder and an image outside any class folder are named', async () => {
    const zip = writeZip([
      { name: 'a/1.png', data: square(0) },
      { name: 'empty/' },
      { name: 'loose.png', data: square(0) },
    ]);
    const problems = await problemsOf(parseImageZip(zip, 'e.zip'));
    assert.deepEqual(problems, [
      {
        field: 'e.zip:loose.png',
        message: 'image is not inside a class folder (expected <class>/<image>)',
      },
      { field: 'e.zip:empty/', message: 'class folder "empty" has no images' },
    ]);
  });

  test('bad options are 400s naming the option', async () => {
    const zip = writeZip([{ name: 'a/1.png', data: square(0) }]);
    await assert.rejects(
      parseImageZip(zip, 'o.zip', { resize: { method: 'cubic' as 'nearest' } }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'resize.method',
    );
    await assert.rejects(
      parseImageZip(zip, 'o.zip', { limits: { maxRatio: 0 } }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'limits.maxRatio',
    );
  });

  test('not a zip at all', async () => {
    const problems = await problemsOf(parseImageZip(Buffer.from('hello world'), 'n.zip'));
    assert.equal(problems[0].field, 'n.zip');
    assert.match(problems[0].message, /not a valid zip archive/);
  });
});
