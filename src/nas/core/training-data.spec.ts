import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Dataset } from '../../ml/data/dataset';
import { Vocabulary } from '../../ml/data/vocabulary';
import { toTrainingData } from './training-data';

describe('toTrainingData with a model input encoding (pruning a registered model)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  test('tabular rows use the given z-scores: (x - mean) / std by hand', () => {
    const ds = new Dataset(
      { kind: 'tabular', featureNames: ['a'], rows: [[1], [3], [5], [7], [9], [11]] },
      [0, 0, 0, 1, 1, 1],
      ['lo', 'hi'],
    );
    const data = toTrainingData(ds, {
      validationFraction: 0.34,
      encoding: { normalise: { mean: [5], std: [2] } },
    });
    try {
      const raw = new Set([1, 3, 5, 7, 9, 11].map((x) => (x - 5) / 2));
      for (const v of [...data.train.x.dataSync(), ...data.validation.x.dataSync()])
        assert.ok(raw.has(v), `${v} is a z-score of the given statistics`);
      assert.deepEqual(data.normalise, { mean: [5], std: [2] });
    } finally {
      data.dispose();
    }
  });

  test('texts use the given vocabulary ids (Keras TextVectorization: 0 pad, 1 out of vocabulary)', () => {
    const ds = new Dataset(
      { kind: 'text', texts: ['good film', 'good plot', 'bad film', 'bad plot'] },
      [1, 1, 0, 0],
      ['neg', 'pos'],
    );
    // ids: good 2, bad 3; "film" and "plot" are unknown to this vocabulary.
    const vocab = new Vocabulary(['good', 'bad']);
    const data = toTrainingData(ds, {
      validationFraction: 0.5,
      sequenceLength: 3,
      encoding: { vocabulary: vocab },
    });
    try {
      assert.equal(data.vocabSize, 4);
      const rows = tf.concat([data.train.x, data.validation.x]).arraySync() as number[][];
      const labels = [...data.train.y.dataSync(), ...data.validation.y.dataSync()];
      rows.forEach((r, i) => assert.deepEqual(r, [labels[i] === 1 ? 2 : 3, 1, 0]));
    } finally {
      data.dispose();
    }
  });
});
