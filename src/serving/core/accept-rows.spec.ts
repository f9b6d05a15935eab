import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { negotiate, prefersRows } from './accept-rows';
import { mediaTypeOf } from './media-type';

const JSON_TYPE = 'application/json';
const ROWS = 'application/octet-stream';

/**
 * The reference is Express's own `req.accepts([json, rows])` (the `accepts` / `negotiator`
 * packages), which decided the predict answer's format before the data-plane route: the same
 * headers must choose the same format.
 */
const HEADERS = [
  undefined,
  '',
  '*/*',
  ROWS,
  JSON_TYPE,
  `${ROWS}, ${JSON_TYPE}`,
  `${JSON_TYPE}, ${ROWS}`,
  `${JSON_TYPE};q=0.5, ${ROWS}`,
  `${ROWS};q=0.5, ${JSON_TYPE}`,
  `${ROWS};q=0.9, */*;q=0.1`,
  'application/*',
  'application/*, application/octet-stream;q=1',
  'application/*;q=0.2, application/octet-stream',
  `${JSON_TYPE};q=0, */*`,
  `${ROWS};q=0, */*`,
  'text/html',
  'text/html, */*;q=0.1',
  'APPLICATION/OCTET-STREAM',
  `${JSON_TYPE};charset=utf-8, ${ROWS};q=0.1`,
  `${ROWS};foo=*`,
  `${ROWS};q=1, ${JSON_TYPE};q=1`,
  `*/*;q=0.5, ${ROWS};q=0.5`,
];

describe('predict answer negotiation (application/json or octet-stream rows)', () => {
  test("matches Express's req.accepts on every header of the table", async () => {
    const app = express();
    app.get('/', (req, res) => {
      res.json({ chosen: req.accepts([JSON_TYPE, ROWS]) || null });
    });
    for (const header of HEADERS) {
      const r = request(app).get('/');
      // supertest sends no Accept unless asked; '' is sent as an empty header.
      const res = await (header === undefined ? r : r.set('Accept', header));
      const expected = res.body.chosen as string | null;
      assert.equal(negotiate(header, [JSON_TYPE, ROWS]), expected, `Accept: ${header}`);
      assert.equal(prefersRows(header), expected === ROWS, `Accept: ${header}`);
    }
  });

  test('a request without Accept gets JSON; q=0 on both is no acceptable offer', () => {
    assert.equal(negotiate(undefined, [JSON_TYPE, ROWS]), JSON_TYPE);
    assert.equal(negotiate(`${JSON_TYPE};q=0, ${ROWS};q=0`, [JSON_TYPE, ROWS]), null);
    assert.equal(prefersRows(`${JSON_TYPE};q=0, ${ROWS};q=0`), false);
  });

  test('media types: lower-cased, parameters dropped, empty is none', () => {
    assert.equal(mediaTypeOf('Application/Octet-Stream; foo=1'), ROWS);
    assert.equal(mediaTypeOf(' application/json '), JSON_TYPE);
    assert.equal(mediaTypeOf(''), undefined);
    assert.equal(mediaTypeOf(undefined), undefined);
  });
});
