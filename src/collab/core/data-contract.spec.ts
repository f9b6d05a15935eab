import { test } from 'node:test';
import assert from 'node:assert/strict';
import { misfitOf, type DataContractView } from './data-contract';

test('misfitOf: shape first, then the class list in order, then an empty split', () => {
  const view = (over: Partial<DataContractView> = {}): DataContractView => ({
    imageShape: { height: 28, width: 28, channels: 1 },
    classNames: ['a', 'b'],
    size: 10,
    ...over,
  });
  const fit = (v: DataContractView) => misfitOf(v, [28, 28, 1], ['a', 'b']);
  assert.equal(fit(view()), null);
  assert.equal(fit(view({ imageShape: null })), 'shape', 'not images');
  assert.equal(fit(view({ imageShape: { height: 28, width: 28, channels: 3 } })), 'shape');
  assert.equal(fit(view({ classNames: ['b', 'a'] })), 'classes', 'same names, other order');
  assert.equal(fit(view({ classNames: ['a', 'b', 'c'] })), 'classes');
  // Compared element by element: ['a,b'] is not ['a', 'b'].
  assert.equal(misfitOf(view({ classNames: ['a,b'] }), [28, 28, 1], ['a', 'b']), 'classes');
  assert.equal(fit(view({ size: 0 })), 'empty');
});
