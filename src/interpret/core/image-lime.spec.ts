import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blockImage, sigmoid } from '../../../test/support/interpret-fixtures';
import { ImageLimeExplainer } from './image-lime';
import type { RgbImage } from './types';

/** A model that looks only at the top-left quadrant's mean brightness. */
async function quadrantModel(batch: RgbImage[]): Promise<number[][]> {
  return batch.map((img) => {
    let s = 0;
    const h = img.height / 2;
    const w = img.width / 2;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) s += img.data[(y * img.width + x) * 3 + c];
    const p = sigmoid(8 * (s / (h * w * 3) - 0.4));
    return [1 - p, p];
  });
}

describe('ImageLimeExplainer', () => {
  test('a model that looks only at the top-left quadrant gets >= 90% of the heatmap mass there', async () => {
    const img = blockImage(1);
    const lime = new ImageLimeExplainer({
      numSamples: 400,
      numFeatures: 100,
      featureSelection: 'none',
      baseline: [0, 0, 0],
      slic: { nSegments: 16 },
      seed: 1,
    });
    const e = await lime.explain(img, quadrantModel, 1);
    let inside = 0;
    let total = 0;
    e.heatmap.forEach((v, p) => {
      total += Math.abs(v);
      if (p % 32 < 16 && Math.floor(p / 32) < 16) inside += Math.abs(v);
    });
    assert.ok(inside / total >= 0.9, `mass inside ${inside / total}`);
    // Every superpixel inside the quadrant supports class 1 (hiding it darkens the quadrant).
    e.heatmap.forEach((v, p) => {
      if (p % 32 < 14 && Math.floor(p / 32) < 14) assert.ok(v > 0);
    });
  });

  test('mean baseline paints hidden superpixels with their own mean colour; same seed, same output', async () => {
    const img = blockImage(2);
    const opts = { numSamples: 50, slic: { nSegments: 16 }, seed: 4 };
    const lime = new ImageLimeExplainer(opts);
    const e = await lime.explain(img, quadrantModel);
    const hidden = lime.masker(img, e)(new Uint8Array(e.featureNames.length));
    // A block is one segment, so its mean is the block colour: hiding it changes it by < the noise.
    let maxDiff = 0;
    for (let i = 0; i < img.data.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(hidden.data[i] - img.data[i]));
    assert.ok(maxDiff < 0.06, `max change ${maxDiff}`);
    const again = await new ImageLimeExplainer(opts).explain(img, quadrantModel);
    assert.deepEqual(again.weights, e.weights);
  });

  test('the batch size changes how many images are predicted at once, never the explanation', async () => {
    const img = blockImage(3);
    const calls: number[] = [];
    const counting = async (batch: RgbImage[]): Promise<number[][]> => {
      calls.push(batch.length);
      return quadrantModel(batch);
    };
    const opts = { numSamples: 100, slic: { nSegments: 16 }, baseline: 'mean' as const, seed: 2 };
    const e = await new ImageLimeExplainer(opts).explain(img, counting);
    assert.deepEqual(calls, [64, 36]);
    const small = await new ImageLimeExplainer({ ...opts, batchSize: 7 }).explain(
      img,
      quadrantModel,
    );
    assert.deepEqual(small.weights, e.weights);
    assert.equal(small.score, e.score);
  });
});
