import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  constrainedRanks,
  crowdingDistance,
  firstFrontIndices,
  hypervolume,
  nonDominatedRanks,
  paretoFront,
  toMinimize,
} from './multi-objective';
import { FrozenTrial } from './trial';

function trial(number: number, values: number[], constraints?: number[]): FrozenTrial {
  return {
    number,
    state: 'complete',
    params: {},
    distributions: {},
    values,
    constraints,
    intermediate: [],
    userAttrs: {},
    systemAttrs: {},
    startedAt: 0,
  };
}

describe('hypervolume (hand-computed)', () => {
  test('2-D staircase: {(1,3),(2,2),(3,1)} with reference (4,4) covers 3+2+1 = 6', () => {
    assert.equal(
      hypervolume(
        [
          [1, 3],
          [2, 2],
          [3, 1],
        ],
        [4, 4],
      ),
      6,
    );
  });
  test('2-D: dominated and out-of-reference points add nothing', () => {
    assert.equal(
      hypervolume(
        [
          [1, 3],
          [2, 2],
          [3, 1],
          [3, 3],
          [5, 0],
        ],
        [4, 4],
      ),
      6,
    );
  });
  test('3-D: one point (1,1,1) vs (2,2,2) is a unit cube; two overlapping boxes by inclusion-exclusion', () => {
    assert.equal(hypervolume([[1, 1, 1]], [2, 2, 2]), 1);
    // (0,1,1): box 2*1*1 = 2; (1,0,0): box 1*2*2 = 4; overlap [1,2]x[1,2]x[1,2] = 1 -> 5.
    assert.equal(
      hypervolume(
        [
          [0, 1, 1],
          [1, 0, 0],
        ],
        [2, 2, 2],
      ),
      5,
    );
  });
  test('3-D: (0,1,1),(1,0,1),(1,1,0) vs (2,2,2): inclusion-exclusion 2+2+2 - 1-1-1 + 1 = 4', () => {
    // Each box is 2*1*1 = 2; every pair and the triple overlap in the unit cube [1,2]^3.
    assert.equal(
      hypervolume(
        [
          [0, 1, 1],
          [1, 0, 1],
          [1, 1, 0],
        ],
        [2, 2, 2],
      ),
      4,
    );
  });
  test('ZDT1 true front sampled densely approaches 0.1 + 2/3 + 0.11 = 0.876667 at (1.1, 1.1)', () => {
    const front = Array.from({ length: 2001 }, (_, i) => [i / 2000, 1 - Math.sqrt(i / 2000)]);
    assert.ok(Math.abs(hypervolume(front, [1.1, 1.1]) - 0.876667) < 1e-3);
  });
});

describe('non-dominated sorting (Deb 2002)', () => {
  test('ranks fronts of a small set', () => {
    const pts = [
      [1, 4],
      [2, 2],
      [4, 1],
      [3, 3],
      [4, 4],
      [5, 5],
    ];
    assert.deepEqual(nonDominatedRanks(pts), [0, 0, 0, 1, 2, 3]);
  });
  test('maximised objectives are negated', () => {
    assert.deepEqual(toMinimize([1, 2], ['minimize', 'maximize']), [1, -2]);
  });
  test('crowding distance: extremes infinite, interior = sum of normalised neighbour gaps', () => {
    const d = crowdingDistance([
      [0, 4],
      [1, 2],
      [2, 1],
      [4, 0],
    ]);
    assert.equal(d[0], Infinity);
    assert.equal(d[3], Infinity);
    // point 1: (2-0)/4 + (4-1)/4 = 1.25; point 2: (4-1)/4 + (2-0)/4 = 1.25
    assert.equal(d[1], 1.25);
    assert.equal(d[2], 1.25);
  });
  test('constrained domination: feasible first, infeasible by violation', () => {
    const ts = [
      trial(0, [5, 5], [-1]),
      trial(1, [0, 0], [2]),
      trial(2, [1, 1], [0.5]),
      trial(3, [4, 6], [0]),
    ];
    assert.deepEqual(constrainedRanks(ts, ['minimize', 'minimize']), [0, 2, 1, 0]);
    assert.deepEqual(
      paretoFront(ts, ['minimize', 'minimize']).map((t) => t.number),
      [0, 3],
    );
  });
});

test('firstFrontIndices agrees with rank 0 of the fast non-dominated sort (Deb 2002)', () => {
  let s = 7;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (const dims of [2, 3]) {
    const points = Array.from({ length: 300 }, () =>
      Array.from({ length: dims }, () => Math.round(rand() * 50)),
    );
    const ranks = nonDominatedRanks(points);
    const expected = ranks.flatMap((r, i) => (r === 0 ? [i] : []));
    assert.deepEqual(firstFrontIndices(points), expected);
  }
});
