import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataset } from '../ml/data';
import { decodeSharedSet, encodeSharedSet } from './shared-set-codec';

const set = () =>
  new Dataset(
    {
      kind: 'image',
      shape: { height: 2, width: 1, channels: 1 },
      pixels: [
        Float32Array.from([0.25, 1]),
        Float32Array.from([0, 0.5]),
        Float32Array.from([1, 0]),
      ],
    },
    [1, 0, 1],
    ['dark', 'light'],
  );

describe('the shared labelled set on the site API', () => {
  test('a site decodes exactly the examples, labels and classes the coordinator encoded', () => {
    const body = encodeSharedSet(set());
    assert.equal(body.examples, 3);
    assert.deepEqual(body.shape, [2, 1, 1]);
    assert.equal(Buffer.from(body.pixels, 'base64').byteLength, 3 * 2 * 4);
    const back = decodeSharedSet(JSON.parse(JSON.stringify(body)));
    assert.deepEqual(back.labels, [1, 0, 1]);
    assert.deepEqual(back.classNames, ['dark', 'light']);
    assert.equal(back.inputs.kind, 'image');
    if (back.inputs.kind === 'image')
      assert.deepEqual(
        back.inputs.pixels.map((p) => [...p]),
        [
          [0.25, 1],
          [0, 0.5],
          [1, 0],
        ],
      );
  });

  test('a body that does not add up is refused, not trained on', () => {
    const body = encodeSharedSet(set());
    assert.throws(() => decodeSharedSet({ ...body, examples: 4 }), /does not add up/);
    assert.throws(() => decodeSharedSet({ ...body, labels: [1, 0] }), /does not add up/);
    assert.throws(() => decodeSharedSet({ ...body, labels: [1, 0, 2] }), /labels\[2\]/);
  });
});
