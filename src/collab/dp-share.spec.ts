import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianNoiseShare } from './dp-share';

describe('a DP share: w_global + clip_C(w_local - w_global) + noise (DP-FedAvg)', () => {
  test('hand case: global [1, 1], local [4, 5]: the update [3, 4] clipped to C = 1 is [0.6, 0.8]', () => {
    const share = gaussianNoiseShare(
      [Float32Array.from([4, 5])],
      [Float32Array.from([1, 1])],
      { clipNorm: 1, noiseMultiplier: 1e-9, delta: 1e-5 },
      7,
    );
    assert.ok(Math.abs(share[0][0] - 1.6) < 1e-6);
    assert.ok(Math.abs(share[0][1] - 1.8) < 1e-6);
  });

  test('seeded: the same site seed gives the same noise, another seed other noise', () => {
    const dp = { clipNorm: 1, noiseMultiplier: 1, delta: 1e-5 };
    const w = [new Float32Array(16)];
    assert.deepEqual(gaussianNoiseShare(w, w, dp, 3), gaussianNoiseShare(w, w, dp, 3));
    assert.notDeepEqual(gaussianNoiseShare(w, w, dp, 3), gaussianNoiseShare(w, w, dp, 4));
  });
});
