import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InMemoryStudyStorage } from '../memory-storage';
import { Study } from '../study';
import { closestReference, dasDennis, normalise } from './nsga3';
import { createSampler } from './sampler-registry';

/** DTLZ2 (Deb, Thiele, Laumanns & Zitzler 2002), 3 objectives; its front is the unit sphere octant. */
function dtlz2(x: readonly number[]): number[] {
  const g = x.slice(2).reduce((s, v) => s + (v - 0.5) ** 2, 0);
  const a = (x[0] * Math.PI) / 2;
  const b = (x[1] * Math.PI) / 2;
  return [
    (1 + g) * Math.cos(a) * Math.cos(b),
    (1 + g) * Math.cos(a) * Math.sin(b),
    (1 + g) * Math.sin(a),
  ];
}

/** Inverted generational distance to 91 Das-Dennis directions projected on the true front. */
function igd(front: number[][]): number {
  const truth = dasDennis(3, 12).map((w) => {
    const n = Math.hypot(...w);
    return w.map((v) => v / n);
  });
  return (
    truth.reduce(
      (s, t) => s + Math.min(...front.map((p) => Math.hypot(...p.map((v, k) => v - t[k])))),
      0,
    ) / truth.length
  );
}

async function run(
  sampler: string,
  settings: object,
  seed: number,
  nTrials: number,
): Promise<number> {
  const study = await Study.create(
    { storage: new InMemoryStudyStorage(), sampler: createSampler(sampler, { seed, ...settings }) },
    { name: 'dtlz2', directions: ['minimize', 'minimize', 'minimize'] },
  );
  await study.optimize(
    (t) => dtlz2(Array.from({ length: 7 }, (_, i) => t.suggestFloat(`x${i}`, 0, 1))),
    {
      nTrials,
    },
  );
  return igd((await study.bestTrials()).map((t) => t.values as number[]));
}

describe('Nsga3Sampler (Deb & Jain 2014)', () => {
  test('Das-Dennis points: C(M + p - 1, p) of them on the simplex (3 objectives, p = 3: 10)', () => {
    const pts = dasDennis(3, 3);
    assert.equal(pts.length, 10);
    assert.ok(pts.every((p) => Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-12));
    assert.equal(dasDennis(3, 12).length, 91);
  });

  test('normalisation maps the extreme points of a scaled simplex front to the unit axes', () => {
    const f = normalise([
      [12, 0, 0],
      [2, 0, 5],
      [2, 3, 0],
      [4.5, 1, 2],
    ]).map((p) => p.map((v) => Math.round(v * 1e12) / 1e12));
    assert.deepEqual(f.slice(0, 3), [
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
    ]);
    const refs = dasDennis(3, 2);
    assert.deepEqual(refs[closestReference([0.1, 0.1, 0.8], refs).ref], [0, 0, 1]);
    assert.deepEqual(refs[closestReference([0.5, 0.45, 0.05], refs).ref], [0.5, 0.5, 0]);
  });

  test('DTLZ2 (3 objectives, 7 variables, 1120 trials): IGD below 0.1 and below random search', async () => {
    const settings = { populationSize: 28, dividingParameter: 6 };
    const nsga3 = await run('nsga3', settings, 0, 1120);
    const random = await run('random', {}, 0, 1120);
    assert.ok(nsga3 < 0.1, `nsga3 IGD ${nsga3}`);
    assert.ok(nsga3 < random, `nsga3 ${nsga3} vs random ${random}`);
  });
});
