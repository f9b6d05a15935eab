import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, TestApp } from '../support/app';
import { shapesZip } from '../fixtures/data/shapes';

/** `GET /v1/datasets/:id/examples` (issue 13): the examples behind the console's thumbnails. */
describe('data set examples per class (real app, PostgreSQL)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ workers: 0, coordinators: 0 });
  });
  after(async () => {
    await app?.close();
  });

  test('image set: a few indices per class, each with its split and a PNG of that class', async () => {
    const up = await app.uploadDataset(
      { name: 'shapes-ex', split: '0.5,0.25,0.25', seed: '3' },
      shapesZip(6),
      'shapes.zip',
    );
    assert.equal(up.status, 201, up.text);
    const res = await app.get('/v1/datasets/shapes-ex/examples?limit=2').expect(200);
    assert.equal(res.body.kind, 'image');
    assert.deepEqual(res.body.items.map((e: { className: string }) => e.className).sort(), [
      'dark',
      'dark',
      'light',
      'light',
    ]);
    for (const e of res.body.items) {
      assert.ok(['train', 'validation', 'test'].includes(e.split));
      const png = await app.get(`/v1/datasets/shapes-ex/examples/${e.index}`).expect(200);
      assert.equal(png.headers['content-type'], 'image/png');
    }
    const test = await app
      .get('/v1/datasets/shapes-ex/examples?class=light&split=test&limit=100')
      .expect(200);
    // Stratified 0.5/0.25/0.25 of 6 per class leaves 1 or 2 light examples in test; all are light/test.
    assert.ok(test.body.items.length >= 1 && test.body.items.length <= 2);
    for (const e of test.body.items) assert.deepEqual([e.className, e.split], ['light', 'test']);
    const total = up.body.splitSizes.test;
    const allTest = await app
      .get('/v1/datasets/shapes-ex/examples?split=test&limit=100')
      .expect(200);
    assert.equal(allTest.body.items.length, total);
  });

  test('tabular set: rows with their feature values', async () => {
    const csv = Buffer.from('x,y,label\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n9,10,a\n11,12,b\n');
    const up = await app.uploadDataset({ name: 'tab-ex', split: '0.5,0.25,0.25' }, csv, 't.csv');
    assert.equal(up.status, 201, up.text);
    const res = await app.get('/v1/datasets/tab-ex/examples?class=b&limit=2').expect(200);
    // The stored set holds the splits back to back, so which b rows come first depends on the
    // split; each must be one of the CSV's b rows with its values under the right feature names.
    const bRows = [
      { x: 3, y: 4 },
      { x: 7, y: 8 },
      { x: 11, y: 12 },
    ];
    assert.equal(res.body.items.length, 2);
    for (const e of res.body.items) {
      assert.equal(e.className, 'b');
      assert.ok(
        bRows.some((r) => r.x === e.features.x && r.y === e.features.y),
        JSON.stringify(e),
      );
    }
  });

  test('bad queries are 400 / 404 problems', async () => {
    const limit = await app.get('/v1/datasets/shapes-ex/examples?limit=0').expect(400);
    assert.match(limit.headers['content-type'], /problem\+json/);
    await app.get('/v1/datasets/shapes-ex/examples?split=dev').expect(400);
    await app.get('/v1/datasets/shapes-ex/examples?class=zebra').expect(404);
    await app.get('/v1/datasets/nope/examples').expect(404);
  });
});
