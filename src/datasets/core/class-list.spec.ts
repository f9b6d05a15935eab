import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClassList } from './class-list';

test('parseClassList: indices as numbers, names trimmed, in the order typed', () => {
  assert.deepEqual(parseClassList('0, 1,Sandal , 12'), [0, 1, 'Sandal', 12]);
  assert.deepEqual(parseClassList('T-shirt/top'), ['T-shirt/top']);
  assert.deepEqual(parseClassList('1e3,-1'), ['1e3', '-1'], 'only plain digits are indices');
});
