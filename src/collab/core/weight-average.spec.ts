import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { averagingStartRound, WeightAverage } from './weight-average';

describe('WeightAverage (SWA, Izmailov et al. 2018, Algorithm 1)', () => {
  test('is the running mean (w_swa * n + w) / (n + 1) of the models added, hand-computed', () => {
    const avg = new WeightAverage();
    assert.equal(avg.mean(), null);
    avg.add([Float32Array.of(1, 2), Float32Array.of(10)]);
    avg.add([Float32Array.of(3, -2), Float32Array.of(20)]);
    avg.add([Float32Array.of(5, 6), Float32Array.of(0)]);
    assert.equal(avg.count, 3);
    const m = avg.mean()!;
    assert.deepEqual([...m[0]], [3, 2]);
    assert.deepEqual([...m[1]], [10]);
  });

  test('gives the same mean in any order of the rounds (float64 sum)', () => {
    const xs = [0.1, 1e7, -1e7, 0.3].map((v) => [Float32Array.of(v)]);
    const a = new WeightAverage();
    const b = new WeightAverage();
    xs.forEach((x) => a.add(x));
    [...xs].reverse().forEach((x) => b.add(x));
    assert.equal(a.mean()![0][0], b.mean()![0][0]);
  });

  test('refuses a model of another shape', () => {
    const avg = new WeightAverage();
    avg.add([new Float32Array(2)]);
    assert.throws(() => avg.add([new Float32Array(3)]), /another shape/);
  });
});

describe('averagingStartRound', () => {
  test('averages the last fraction of the rounds, at least one, at most all', () => {
    assert.equal(averagingStartRound(12, 0.25), 9);
    assert.equal(averagingStartRound(12, 0.5), 6);
    assert.equal(averagingStartRound(12, 1), 0);
    assert.equal(averagingStartRound(12, 0.01), 11);
    assert.throws(() => averagingStartRound(12, 0), /\(0, 1\]/);
  });
});
