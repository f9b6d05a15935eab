import assert from 'node:assert/strict';
import { test } from 'node:test';
import { typedNumber } from './typed-number';

test('a number field: the number, nothing when empty, the text when it is not a number', () => {
  assert.equal(typedNumber(' 0.5 '), 0.5);
  assert.equal(typedNumber('   '), undefined);
  assert.equal(typedNumber('fast'), 'fast');
  assert.equal(typedNumber('1e-3'), 0.001);
});
