import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestName, editDistance } from './did-you-mean';

test('optimal string alignment distance: hand-computed cases (a transposition is one edit)', () => {
  assert.equal(editDistance('bacth', 'batch'), 1);
  assert.equal(editDistance('capacty', 'capacity'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3); // Levenshtein's classic example
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('ca', 'abc'), 3); // OSA, not full Damerau (which says 2)
});

test('closestName suggests a near key, none for an unrelated or one-letter word', () => {
  const stageKeys = ['id', 'instances', 'pricePerHour', 'next', 'service', 'batch', 'queue'];
  assert.equal(closestName('bacth', stageKeys), 'batch');
  assert.equal(closestName('Batch', stageKeys), 'batch');
  assert.equal(closestName('instance', stageKeys), 'instances');
  assert.equal(closestName('layout', stageKeys), undefined);
  assert.equal(closestName('x', ['name', 'seed', 'space']), undefined);
});
