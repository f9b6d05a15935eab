import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classFeatureStats } from './classifier-calibration';
import {
  CCVR_SETTINGS,
  classStatsProblem,
  decodeClassStats,
  encodeClassStats,
  momentFloats,
} from './ccvr-protocol';

// 3 classes, d = 2; class 2 has no example. Hand-computed:
// class 0: rows (1, 2), (3, 6) -> mean (2, 4), covariance [[2, 4], [4, 8]] (divided by n - 1 = 1)
// class 1: row (5, -1) -> mean (5, -1), covariance 0 (one row)
const data = {
  features: Float32Array.from([1, 2, 5, -1, 3, 6]),
  labels: [0, 1, 0],
  dim: 2,
};

describe('CCVR wire format (core/ccvr-protocol.ts)', () => {
  test('the bench’s chosen settings: full covariance, 200 virtual features a class, 10 epochs', () => {
    assert.equal(CCVR_SETTINGS.covariance, 'full');
    assert.equal(CCVR_SETTINGS.virtualPerClass, 200);
    assert.equal(CCVR_SETTINGS.head.epochs, 10);
    assert.equal(CCVR_SETTINGS.head.learningRate, 0.01);
  });

  test('counts, then mean and upper triangle of each class present (hand case)', () => {
    const floats = encodeClassStats(classFeatureStats(data, 3));
    assert.deepEqual(Array.from(floats), [2, 1, 0, 2, 4, 2, 4, 8, 5, -1, 0, 0, 0]);
    assert.equal(floats.length, 3 + momentFloats(2, 2));
    const back = decodeClassStats(floats, 3, 2);
    assert.deepEqual(
      back.map((s) => [s.count, Array.from(s.mean), Array.from(s.covariance)]),
      [
        [2, [2, 4], [2, 4, 4, 8]],
        [1, [5, -1], [0, 0, 0, 0]],
        [0, [0, 0], [0, 0, 0, 0]],
      ],
    );
  });

  test('a bad upload is named: counts, length, non-finite, negative variance', () => {
    const ok = encodeClassStats(classFeatureStats(data, 3));
    const moments = Array.from(ok.subarray(3));
    assert.equal(classStatsProblem([2, 1, 0], moments, 3, 2), null);
    assert.match(classStatsProblem([2, 1], moments, 3, 2) ?? '', /counts: 2 values/);
    assert.match(classStatsProblem([2, 1.5, 0], moments, 3, 2) ?? '', /counts\[1\]/);
    // One more class present than the moments hold (room for smuggled values is none either).
    assert.match(classStatsProblem([2, 1, 4], moments, 3, 2) ?? '', /need 15/);
    assert.match(classStatsProblem([2, 1, 0], [...moments, 7], 3, 2) ?? '', /need 10/);
    const nan = [...moments];
    nan[3] = Number.NaN;
    assert.match(classStatsProblem([2, 1, 0], nan, 3, 2) ?? '', /not finite/);
    const neg = [...moments];
    neg[4] = -1; // class 0's second variance (upper triangle: c00, c01, c11)
    assert.match(classStatsProblem([2, 1, 0], neg, 3, 2) ?? '', /negative variance/);
    assert.throws(() => decodeClassStats(Float32Array.from([2, 1, 0, 1]), 3, 2), RangeError);
  });
});
