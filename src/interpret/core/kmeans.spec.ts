import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../platform/core/rng';
import { kMeans } from './kmeans';

describe('kMeans (k-means++ seeding, Lloyd iterations)', () => {
  test('two separated pairs: centres at the pair means, inertia = 4 x 0.25 by hand', () => {
    const pts = [
      [0, 0],
      [0, 1],
      [10, 10],
      [10, 11],
    ];
    const r = kMeans(pts, 2, new Rng(1));
    const centres = r.centres.map((c) => c.join(',')).sort();
    assert.deepEqual(centres, ['0,0.5', '10,10.5']);
    assert.equal(r.assignment[0], r.assignment[1]);
    assert.notEqual(r.assignment[0], r.assignment[2]);
    assert.ok(Math.abs(r.inertia - 1) < 1e-12);
  });

  test('k larger than the number of points is capped; same seed, same clustering', () => {
    assert.equal(kMeans([[1], [2]], 5, new Rng(0)).centres.length, 2);
    const rng = new Rng(3);
    const pts = Array.from({ length: 60 }, (_, i) => [
      (i % 3) * 5 + rng.normal(0, 0.3),
      rng.normal(0, 0.3),
    ]);
    assert.deepEqual(kMeans(pts, 3, new Rng(9)), kMeans(pts, 3, new Rng(9)));
  });
});
