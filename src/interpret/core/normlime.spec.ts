import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../platform/core/rng';
import { gaussianRows } from '../../../test/support/interpret-fixtures';
import { ImageLimeExplainer } from './image-lime';
import { imageNormLime, normLime, rankByImportance } from './normlime';
import { TabularLimeExplainer } from './tabular-lime';
import type { RgbImage } from './types';

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('NormLIME', () => {
  test('I(j, y) matches the hand-computed mean of w_j^2 / sum_k |w_k| (Ahern et al. 2019, eq. 4)', () => {
    const r = normLime(
      [
        { label: 0, weights: [1, -1, 0] },
        { label: 0, weights: [2, 0, 2] },
        { label: 1, weights: [0, 0, -3] },
      ],
      2,
      3,
    );
    // Class 0: ([1/2, 1/2, 0] + [1, 0, 1]) / 2; class 1: [0, 0, 9/3].
    assert.deepEqual(r.importance, [
      [0.75, 0.25, 0.5],
      [0, 0, 3],
    ]);
    assert.deepEqual(r.counts, [2, 1]);
  });

  test('on a 3-class model where only features {a, b} matter, they rank first for every class', async () => {
    const train = gaussianRows(300, 6, 11);
    const predict = async (batch: number[][]): Promise<number[][]> =>
      batch.map(([a, b]) => softmax([2 * a - b, -a + 2 * b, 0]));
    const lime = new TabularLimeExplainer({
      trainingData: train,
      discretize: false,
      numSamples: 500,
      numFeatures: 6,
      featureSelection: 'none',
      seed: 2,
    });
    const explanations = [];
    for (const x of gaussianRows(60, 6, 12)) explanations.push(await lime.explain(x, predict));
    const r = normLime(explanations, 3, 6);
    for (let y = 0; y < 3; y++) {
      assert.ok(r.counts[y] > 0, `class ${y} never predicted`);
      assert.deepEqual(rankByImportance(r.importance[y]).slice(0, 2).sort(), [0, 1], `class ${y}`);
    }
  });

  test('images: superpixels of the same colour share a concept, and the colour the model uses ranks first', async () => {
    const rng = new Rng(5);
    const red = [0.9, 0.1, 0.1];
    const green = [0.1, 0.8, 0.2];
    const images: RgbImage[] = Array.from({ length: 6 }, () => {
      const quads = [0, 1, 2, 3].map((q) =>
        q === 0 ? red : q === 1 ? green : rng.choice([red, green]),
      );
      const data = new Float32Array(16 * 16 * 3);
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 16; x++) {
          const c = quads[(y < 8 ? 0 : 2) + (x < 8 ? 0 : 1)];
          for (let k = 0; k < 3; k++) data[(y * 16 + x) * 3 + k] = c[k] + rng.normal(0, 0.01);
        }
      }
      return { width: 16, height: 16, data };
    });
    // Probability of class 1 is the fraction of red pixels.
    const predict = async (batch: RgbImage[]): Promise<number[][]> =>
      batch.map((img) => {
        let n = 0;
        for (let p = 0; p < 256; p++) if (img.data[p * 3] > 0.6 && img.data[p * 3 + 1] < 0.4) n++;
        return [1 - n / 256, n / 256];
      });
    const lime = new ImageLimeExplainer({
      numSamples: 200,
      numFeatures: 8,
      featureSelection: 'none',
      baseline: [0, 0, 0],
      slic: { nSegments: 4 },
      seed: 3,
    });
    const items = [];
    for (const image of images)
      items.push({ image, explanation: await lime.explain(image, predict, 1) });
    const r = imageNormLime(items, { numClusters: 2, numClasses: 2, rng: new Rng(7) });
    // The concept of the top-left (always red) superpixel of every image is the same cluster.
    const redCluster = r.clusterOfSegment[0][items[0].explanation.segments[0]];
    items.forEach((it, i) =>
      assert.equal(r.clusterOfSegment[i][it.explanation.segments[0]], redCluster),
    );
    assert.equal(rankByImportance(r.importance[1])[0], redCluster);
    assert.ok(r.importance[1][redCluster] > 10 * r.importance[1][1 - redCluster]);
    // Each concept's exemplar is a superpixel of that concept: the red concept is shown as a red
    // superpixel of a real image.
    r.exemplars.forEach((e, c) => assert.equal(r.clusterOfSegment[e.image][e.segment], c));
    const ex = r.exemplars[redCluster];
    const { segments } = items[ex.image].explanation;
    const p = segments.indexOf(ex.segment);
    assert.ok(images[ex.image].data[p * 3] > 0.6, 'the red concept exemplar is red');
  });
});
