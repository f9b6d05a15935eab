import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../platform/core/rng';
import { SimRandom } from './sim-random';
import { ZipfSampler, zipfProbabilities } from './cache';

describe('Zipf sampling (rejection-inversion, Hörmann & Derflinger 1996)', () => {
  test('rank frequencies match i^-s / H(n, s) within 3 standard errors', () => {
    for (const s of [0.6, 1, 1.4]) {
      const n = 1000;
      const z = new ZipfSampler(n, s);
      const p = zipfProbabilities(n, s);
      const rng = new SimRandom(new Rng(11));
      const draws = 200_000;
      const counts = new Float64Array(n + 1);
      for (let i = 0; i < draws; i++) counts[z.sample(rng)]++;
      for (const rank of [1, 2, 10, 100, 1000]) {
        const expected = p[rank - 1] * draws;
        const se = Math.sqrt(expected * (1 - p[rank - 1]));
        assert.ok(
          Math.abs(counts[rank] - expected) <= 3 * se + 1,
          `s=${s} rank ${rank}: ${counts[rank]} vs ${expected}`,
        );
      }
    }
  });
});
