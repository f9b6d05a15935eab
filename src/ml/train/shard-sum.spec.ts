import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../platform/core/rng';
import { weightedShardSum } from './shard-sum';

/** The reference: the accumulation sharded-step.ts did before (g[k] += w * part[offset + k]). */
function reference(
  parts: readonly Float32Array[],
  weights: readonly number[],
  offset: number,
  size: number,
): Float32Array {
  const g = new Float32Array(size);
  parts.forEach((part, s) => {
    const w = weights[s];
    for (let k = 0; k < size; k++) g[k] += w * part[offset + k];
  });
  return g;
}

describe('weighted sum of shard gradients', () => {
  test('bitwise the accumulation loop: 1-4 shards, uneven weights, -0, denormals, huge values', () => {
    const rng = new Rng(5);
    const special = [0, -0, 1e-45, -1e-45, 3.4e38, -3.4e38, 1e-38];
    for (const shards of [1, 2, 3, 4]) {
      const total = 97;
      const parts = Array.from({ length: shards }, () =>
        Float32Array.from({ length: total }, (_, k) =>
          k < special.length ? special[(k + shards) % special.length] : rng.normal(0, 1) * 10,
        ),
      );
      // Shard sizes 17/32, 15/32 ... as splitBatch gives: not powers of two.
      const sizes = Array.from({ length: shards }, (_, s) => 7 + s);
      const n = sizes.reduce((a, b) => a + b, 0);
      const weights = sizes.map((s) => s / n);
      for (const [offset, size] of [
        [0, total],
        [13, 40],
        [96, 1],
      ]) {
        const got = weightedShardSum(parts, weights, offset, size);
        const want = reference(parts, weights, offset, size);
        assert.ok(
          Buffer.from(got.buffer).equals(Buffer.from(want.buffer)),
          `${shards} shards [${offset}, ${offset + size})`,
        );
      }
    }
  });

  test('-0 in every shard sums to +0, as 0 + (-0) does', () => {
    const g = weightedShardSum([Float32Array.of(-0), Float32Array.of(-0)], [0.5, 0.5], 0, 1);
    assert.ok(Object.is(g[0], 0));
  });
});
