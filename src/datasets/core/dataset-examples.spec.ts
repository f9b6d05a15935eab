import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExampleQuery, selectExamples } from './dataset-examples';

// 8 examples, classes a/b alternating; split: train 0-3, validation 4-5, test 6-7.
const labels = [0, 1, 0, 1, 0, 1, 0, 1];
const classes = ['a', 'b'];
const split = { train: [0, 1, 2, 3], validation: [4, 5], test: [6, 7] };

describe('selectExamples', () => {
  test('the first `limit` of each class, in data set order, with their split', () => {
    const got = selectExamples(labels, classes, split, { limit: 2 });
    assert.deepEqual(
      got?.map((e) => [e.index, e.className, e.split]),
      [
        [0, 'a', 'train'],
        [1, 'b', 'train'],
        [2, 'a', 'train'],
        [3, 'b', 'train'],
      ],
    );
  });

  test('one class by name or index, one split', () => {
    const byName = selectExamples(labels, classes, split, {
      className: 'b',
      split: 'test',
      limit: 5,
    });
    assert.deepEqual(
      byName?.map((e) => e.index),
      [7],
    );
    const byIndex = selectExamples(labels, classes, split, { className: '0', limit: 10 });
    assert.deepEqual(
      byIndex?.map((e) => e.index),
      [0, 2, 4, 6],
    );
  });

  test('an unknown class is null, not an empty list', () => {
    assert.equal(selectExamples(labels, classes, split, { className: 'zebra', limit: 1 }), null);
    assert.equal(selectExamples(labels, classes, split, { className: '2', limit: 1 }), null);
  });
});

describe('parseExampleQuery', () => {
  test('defaults and bounds', () => {
    assert.deepEqual(parseExampleQuery({}), { className: undefined, split: undefined, limit: 8 });
    assert.equal(parseExampleQuery({ limit: '100', split: 'validation' }).limit, 100);
    assert.throws(() => parseExampleQuery({ limit: '0' }), /limit/);
    assert.throws(() => parseExampleQuery({ limit: '101' }), /limit/);
    assert.throws(() => parseExampleQuery({ limit: '2.5' }), /limit/);
    assert.throws(() => parseExampleQuery({ split: 'dev' }), /split/);
  });
});
