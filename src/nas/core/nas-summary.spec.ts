import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FrozenTrial } from '../../search/core/trial';
import type { NasTrialRecord } from './candidate';
import { summariseNas } from './nas-summary';

function trial(number: number, values: number[], constraints?: number[]): FrozenTrial {
  return {
    number,
    state: 'complete',
    params: {},
    distributions: {},
    values,
    ...(constraints ? { constraints } : {}),
    intermediate: [],
    userAttrs: {},
    systemAttrs: {},
    startedAt: 0,
  };
}

function record(t: FrozenTrial): NasTrialRecord {
  const feasible = (t.constraints ?? []).every((c) => c <= 0);
  return {
    number: t.number,
    state: t.state,
    encoding: null,
    params: {},
    cost: { params: t.values![1] ?? 0, flops: 0 },
    accuracy: t.values![0],
    values: t.values,
    ...(t.constraints ? { constraints: t.constraints } : {}),
    feasible,
    epochsTrained: 1,
    valAccuracyPerEpoch: [t.values![0]],
    inheritedLayers: [],
    durationMs: 1,
  };
}

describe('NAS leaderboard order', () => {
  test('multi-objective: equally accurate architectures, the cheaper first; infeasible last', () => {
    // The run seen on the console: five at accuracy 1 with 67586, 3010, 3314, 3010, 3314
    // parameters were listed by trial number, the largest first.
    const trials = [
      trial(0, [1, 67586]),
      trial(1, [1, 3010]),
      trial(2, [0.75, 2738]),
      trial(3, [1, 3314]),
      trial(4, [1, 3010]),
      trial(5, [0.9, 100], [2]),
    ];
    const r = summariseNas(
      trials.map(record),
      trials,
      { kind: 'multi', costs: ['params'] },
      'completed',
    );
    assert.deepEqual(
      r.leaderboard.map((t) => t.number),
      [1, 4, 3, 0, 2, 5],
    );
    assert.equal(r.best?.number, 1);
  });

  test('accuracy only: by accuracy, ties by trial number', () => {
    const trials = [trial(0, [0.8]), trial(1, [0.9]), trial(2, [0.8])];
    const r = summariseNas(trials.map(record), trials, { kind: 'accuracy' }, 'completed');
    assert.deepEqual(
      r.leaderboard.map((t) => t.number),
      [1, 0, 2],
    );
  });
});
