import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pageRange } from './page-range';

describe('page range', () => {
  test('first, middle and last (shorter) pages name the rows shown', () => {
    assert.equal(pageRange(0, 10, 42, 'no jobs'), '1–10 of 42');
    assert.equal(pageRange(20, 10, 42, 'no jobs'), '21–30 of 42');
    assert.equal(pageRange(40, 2, 42, 'no jobs'), '41–42 of 42');
  });

  test('an empty list says so instead of "1–0 of 0"', () => {
    assert.equal(pageRange(0, 0, 0, 'no studies yet'), 'no studies yet');
  });

  test('a page past the end (rows deleted meanwhile) shows the empty text, not a reversed range', () => {
    assert.equal(pageRange(50, 0, 42, 'no jobs'), 'no jobs');
  });
});
