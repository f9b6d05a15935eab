import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../platform/core/rng';
import { Dataset } from './dataset';
import { batches, batchCount } from './batches';
import { ImageAugmenter } from './augment/image-augment';
import { Vocabulary } from './vocabulary';

tf.setBackend('cpu');

function images(n: number): Dataset {
  const shape = { height: 2, width: 2, channels: 1 };
  const pixels = Array.from({ length: n }, (_, i) => Float32Array.from([i, i, i, i]));
  return new Dataset(
    { kind: 'image', shape, pixels },
    pixels.map((_, i) => i % 3),
    ['a', 'b', 'c'],
  );
}

describe('lazy batches to tensors', () => {
  test('shapes, one-hot and sparse targets, last partial batch; no tensor leak', () => {
    const ds = images(5);
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    for (const b of batches(ds, { batchSize: 2 })) {
      const [x, y] = [b.x.arraySync() as number[][][][], b.y.arraySync() as number[][]];
      assert.equal(x.length, b.indices.length);
      b.indices.forEach((idx, r) => {
        assert.equal(x[r][1][1][0], idx);
        assert.deepEqual(
          y[r],
          [0, 1, 2].map((c) => (c === idx % 3 ? 1 : 0)),
        );
      });
      seen.push(...b.indices);
      b.x.dispose();
      b.y.dispose();
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    for (const b of batches(ds, {
      batchSize: 2,
      targets: 'sparse',
      dropRemainder: true,
      shuffle: 1,
    })) {
      assert.deepEqual(b.y.shape, [2]);
      assert.equal(b.y.dtype, 'int32');
      tf.dispose([b.x, b.y]);
    }
    assert.equal(batchCount(5, 2, true), 2);
    assert.equal(tf.memory().numTensors, before);
  });

  test('augmentation and mixup are applied before the tensors are made; same rng seed, same batch', () => {
    const ds = images(4);
    const run = (): number[] => {
      const b = batches(ds, {
        batchSize: 4,
        augment: new ImageAugmenter([{ name: 'noise', std: 0.1 }]),
        mixupAlpha: 0.2,
        rng: new Rng(5),
      }).next().value;
      assert.ok(b);
      const y = Array.from(b.y.dataSync() as Float32Array);
      tf.dispose([b.x, b.y]);
      return y;
    };
    const before = tf.memory().numTensors;
    const y = run();
    assert.deepEqual(run(), y);
    for (let r = 0; r < 4; r++)
      assert.ok(Math.abs(y[3 * r] + y[3 * r + 1] + y[3 * r + 2] - 1) < 1e-6);
    assert.equal(tf.memory().numTensors, before);
  });

  test('tabular rows and text ids (vocabulary by frequency, 0 pad, 1 OOV)', () => {
    const tab = new Dataset(
      {
        kind: 'tabular',
        featureNames: ['a', 'b'],
        rows: [
          [1, 2],
          [3, 4],
        ],
      },
      [0, 1],
      ['n', 'p'],
    );
    const tb = batches(tab, { batchSize: 2 }).next().value;
    assert.ok(tb);
    assert.deepEqual(tb.x.arraySync(), [
      [1, 2],
      [3, 4],
    ]);
    tf.dispose([tb.x, tb.y]);
    const texts = new Dataset(
      { kind: 'text', texts: ['good good film', 'bad film zebra'] },
      [1, 0],
      ['neg', 'pos'],
    );
    const vocab = Vocabulary.build(['good good film', 'bad film'], { maxWords: 10 });
    assert.deepEqual(vocab.words, ['film', 'good', 'bad']);
    const b = batches(texts, { batchSize: 2, vocabulary: vocab, sequenceLength: 4 }).next().value;
    assert.ok(b);
    assert.deepEqual(b.x.arraySync(), [
      [3, 3, 2, 0],
      [4, 2, 1, 0],
    ]);
    assert.equal(b.x.dtype, 'int32');
    tf.dispose([b.x, b.y]);
  });
});
