import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  blockImage,
  gaussianRows,
  logisticModel,
  sigmoid,
} from '../../../test/support/interpret-fixtures';
import { createExplainer, EXPLAINERS, INPUT_KINDS } from './explainer-registry';
import type { Explanation, RgbImage } from './types';

const train = gaussianRows(100, 3, 1);
const runs: Record<keyof typeof EXPLAINERS, (seed: number) => Promise<Explanation>> = {
  tabular: (seed) =>
    createExplainer('tabular', { trainingData: train, numSamples: 200, seed }).explain(
      [0.2, -0.1, 0.4],
      logisticModel([1, -1, 2]),
    ),
  text: (seed) =>
    createExplainer('text', { numSamples: 200, seed }).explain(
      'one two three four five',
      async (b) => b.map((t) => [1 - t.length / 30, t.length / 30]),
    ),
  image: (seed) =>
    createExplainer('image', { numSamples: 60, slic: { nSegments: 9 }, seed }).explain(
      blockImage(3),
      async (b: RgbImage[]) =>
        b.map((im) => {
          const p = sigmoid(im.data.reduce((s, v) => s + v, 0) / im.data.length - 0.5);
          return [1 - p, p];
        }),
    ),
};

describe('explainer registry', () => {
  test('every registered explainer gives identical output for the same seed and different output for another', async () => {
    assert.deepEqual(Object.keys(EXPLAINERS).sort(), [...INPUT_KINDS].sort());
    for (const kind of INPUT_KINDS) {
      const a = await runs[kind](5);
      const b = await runs[kind](5);
      const c = await runs[kind](6);
      assert.deepEqual(a, b, kind);
      assert.notDeepEqual(a.weights, c.weights, kind);
    }
  });

  test('an unknown input kind is a validation error naming the field', () => {
    assert.throws(
      () => createExplainer('audio' as 'text', {}),
      /inputKind: must be one of tabular, text, image/,
    );
  });
});
