import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findUnsafeInput, invalidTextReason } from './untrusted-input';

test('text: NUL and unpaired surrogates are refused; paired surrogates (emoji) are fine', () => {
  assert.equal(invalidTextReason('plain é 😀'), undefined);
  assert.match(invalidTextReason('a\u0000b') ?? '', /NUL/);
  assert.match(invalidTextReason('\ud800x') ?? '', /surrogate/);
  assert.match(invalidTextReason('x\udc00') ?? '', /surrogate/);
});

test('the walk names the field, and is iterative: 1,000,000 levels do not overflow', () => {
  assert.equal(findUnsafeInput({ a: [1, 'ok', { b: null }] }, ''), null);
  assert.deepEqual(findUnsafeInput({ a: [0, { 'b c': 'x\u0000' }] }, ''), {
    field: 'a[1]["b c"]',
    message: 'must not contain NUL bytes (U+0000)',
  });
  assert.equal(findUnsafeInput(JSON.parse('{"s":{"__proto__":1}}'), '')?.field, 's.__proto__');
  assert.equal(findUnsafeInput({ toString: 1, hasOwnProperty: 2 }, ''), null);

  let deep: unknown = [];
  for (let i = 0; i < 1_000_000; i++) deep = [deep];
  const found = findUnsafeInput({ x: deep }, '');
  assert.match(found?.message ?? '', /nested deeper than 64 levels/);
  // 64 levels (the root and 63 below it) pass.
  let ok: unknown = 1;
  for (let i = 0; i < 64; i++) ok = [ok];
  assert.equal(findUnsafeInput(ok, ''), null);
  assert.notEqual(findUnsafeInput([ok], ''), null);
});
