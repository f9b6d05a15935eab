import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResize, parseSplit, remapPlan } from './dataset-options';

test('split fractions: CSV and JSON forms; a sum other than 1 names the field', () => {
  assert.deepEqual(parseSplit('0.8,0.1,0.1'), { train: 0.8, validation: 0.1, test: 0.1 });
  assert.deepEqual(parseSplit('{"train":0.5,"validation":0.25,"test":0.25}'), {
    train: 0.5,
    validation: 0.25,
    test: 0.25,
  });
  assert.throws(() => parseSplit('0.8,0.3,0.1'), /sum to 1, got 1.2/);
  assert.throws(
    () => parseSplit('{"train":0.5,"validation":0.5,"test":0,"x":0}'),
    (e: Error & { problems?: { field: string }[] }) => e.problems?.[0].field === 'split.x',
  );
});

test('resize: HxW with an optional method', () => {
  assert.deepEqual(parseResize('28x32'), { height: 28, width: 32, method: 'bilinear' });
  assert.deepEqual(parseResize('8x8:nearest'), { height: 8, width: 8, method: 'nearest' });
  assert.throws(() => parseResize('28'), /28x28/);
});

test('remap merges classes into new names in first-seen order (hand-computed mapping)', () => {
  const plan = remapPlan(['Sandal', 'Shirt', 'Sneaker', 'Bag'], {
    Sandal: 'footwear',
    Sneaker: 'footwear',
  });
  assert.deepEqual(plan.classNames, ['footwear', 'Shirt', 'Bag']);
  assert.deepEqual(plan.mapping, [0, 1, 0, 2]);
  assert.throws(() => remapPlan(['a'], { b: 'c' }), /not a class/);
});
