/** Scripted learning curves checked against each pruner's published rule. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError } from '../../../platform/errors/domain-error';
import { StudyView } from '../study-view';
import { Direction, FrozenTrial, JsonValue } from '../trial';
import { HyperbandPruner, crc32 } from './hyperband';
import { MedianPruner } from './median';
import { PercentilePruner, percentile } from './percentile';
import { createPruner } from './pruner-registry';
import { SuccessiveHalvingPruner } from './successive-halving';

let nextNumber = 0;
function curve(
  values: (number | number[])[],
  state: FrozenTrial['state'] = 'complete',
  systemAttrs: Record<string, JsonValue> = {},
): FrozenTrial {
  return {
    number: nextNumber++,
    state,
    params: {},
    distributions: {},
    values: state === 'complete' ? [0] : undefined,
    intermediate: values.map((v, step) => ({ step, values: Array.isArray(v) ? v : [v] })),
    userAttrs: {},
    systemAttrs,
    startedAt: 0,
  };
}

const view = (trials: FrozenTrial[], directions: Direction[] = ['minimize']): StudyView => ({
  studyId: 's',
  studyName: 'study',
  directions,
  trials,
});

describe('median / percentile pruners (Optuna PercentilePruner)', () => {
  const done = [curve([10, 8, 6]), curve([9, 7, 5]), curve([12, 10, 8])];

  test('prunes when the best value so far is worse than the median at that step', () => {
    // Median at step 1 of {8, 7, 10} = 8: best 9 > 8 prunes, best 7.5 does not.
    const p = new MedianPruner({ nStartupTrials: 1 });
    assert.equal(p.prune(view([...done]), curve([11, 9], 'running')).prune, true);
    assert.equal(p.prune(view([...done]), curve([11, 7.5], 'running')).prune, false);
    // The best over steps counts: 7 at step 0 beats the median even if step 1 is worse.
    assert.equal(p.prune(view([...done]), curve([7, 9], 'running')).prune, false);
  });

  test('startup trials, warm-up steps and intervals suppress pruning', () => {
    const bad = curve([11, 9], 'running');
    assert.equal(new MedianPruner({ nStartupTrials: 4 }).prune(view(done), bad).prune, false);
    assert.equal(
      new MedianPruner({ nStartupTrials: 1, nWarmupSteps: 2 }).prune(view(done), bad).prune,
      false,
    );
    // Interval 2 from step 0: step 1 is not a pruning step.
    assert.equal(
      new MedianPruner({ nStartupTrials: 1, intervalSteps: 2 }).prune(view(done), bad).prune,
      false,
    );
    // nMinTrials: only one complete trial reached step 3.
    const deep = [...done, curve([9, 8, 7, 6])];
    assert.equal(
      new MedianPruner({ nStartupTrials: 1, nMinTrials: 2 }).prune(
        view(deep),
        curve([20, 20, 20, 20], 'running'),
      ).prune,
      false,
    );
    assert.equal(
      new MedianPruner({ nStartupTrials: 1 }).prune(view(deep), curve([20, 20, 20, 20], 'running'))
        .prune,
      true,
    );
  });

  test('25th percentile (numpy linear interpolation) and its mirror for maximisation', () => {
    // Step 1 values {7, 8, 10}: 25th percentile = 7 + 0.5 * (8 - 7) = 7.5.
    assert.equal(percentile([10, 7, 8], 25), 7.5);
    const p = new PercentilePruner({ percentile: 25, nStartupTrials: 1 });
    assert.equal(p.prune(view(done), curve([20, 7.5], 'running')).prune, false);
    assert.equal(p.prune(view(done), curve([20, 7.6], 'running')).prune, true);
    // Maximise: compare with the 75th percentile = 8 + 0.5 * (10 - 8) = 9; best 8.9 < 9 prunes.
    assert.equal(p.prune(view(done, ['maximize']), curve([0, 8.9], 'running')).prune, true);
    assert.equal(p.prune(view(done, ['maximize']), curve([0, 9], 'running')).prune, false);
  });

  test('multi-objective: by objective index, or by Pareto rank', () => {
    const mo = [
      curve([
        [1, 5],
        [1, 5],
      ]),
      curve([
        [2, 4],
        [2, 4],
      ]),
      curve([
        [3, 3],
        [3, 3],
      ]),
    ];
    const dirs: Direction[] = ['minimize', 'minimize'];
    // Objective 1 at step 1: {5, 4, 3}, median 4.
    const byObj = new MedianPruner({ nStartupTrials: 1, objective: 1 });
    assert.equal(
      byObj.prune(
        view(mo, dirs),
        curve(
          [
            [0, 9],
            [0, 4.5],
          ],
          'running',
        ),
      ).prune,
      true,
    );
    assert.equal(
      byObj.prune(
        view(mo, dirs),
        curve(
          [
            [9, 9],
            [9, 3.5],
          ],
          'running',
        ),
      ).prune,
      false,
    );
    const pareto = new MedianPruner({ nStartupTrials: 1, objective: 'pareto' });
    // (4, 6) is dominated by every complete trial: rank 1 > median rank 0.
    assert.equal(
      pareto.prune(
        view(mo, dirs),
        curve(
          [
            [4, 6],
            [4, 6],
          ],
          'running',
        ),
      ).prune,
      true,
    );
    // (0.5, 10) is non-dominated: rank 0.
    assert.equal(
      pareto.prune(
        view(mo, dirs),
        curve(
          [
            [0.5, 10],
            [0.5, 10],
          ],
          'running',
        ),
      ).prune,
      false,
    );
  });
});

describe('successive halving / ASHA (Li et al. 2020)', () => {
  const rung0 = (v: number) => curve([v, v], 'complete', { 'asha:rung_0': v });

  test('promotes only the top 1/eta of the values recorded at a rung', () => {
    // eta = 2, rung 0 at step 1. Others recorded {1..7}; with mine there are 8 values, the top
    // 8 / 2 = 4 are promoted: the 4th best is 4 when mine is 4.5 (pruned), 3.5 when mine is 3.5.
    const others = [1, 2, 3, 4, 5, 6, 7].map(rung0);
    const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
    const slow = curve([9, 4.5], 'running');
    const d1 = p.prune(view([...others, slow]), slow);
    assert.equal(d1.prune, true);
    assert.deepEqual(d1.systemAttrs, { 'asha:rung_0': 4.5 });
    const fast = curve([9, 3.5], 'running');
    const d2 = p.prune(view([...others, fast]), fast);
    assert.equal(d2.prune, false);
    assert.deepEqual(d2.systemAttrs, { 'asha:rung_0': 3.5 });
  });

  test('no decision before the first rung; the first trial at a rung is always promoted', () => {
    const p = new SuccessiveHalvingPruner({ minResource: 4, reductionFactor: 3 });
    assert.equal(p.prune(view([]), curve([1, 2, 3], 'running')).prune, false);
    const first = curve([1, 2, 3, 100, 100], 'running');
    const d = p.prune(view([first]), first);
    assert.equal(d.prune, false);
    assert.deepEqual(d.systemAttrs, { 'asha:rung_0': 100 });
  });

  test('minEarlyStoppingRate shifts the first rung to minResource * eta^rate; maximise keeps the largest', () => {
    const others = [1, 2, 3, 4, 5, 6, 7].map((v) =>
      curve([v, v, v], 'complete', { 'asha:rung_0': v }),
    );
    const p = new SuccessiveHalvingPruner({
      minResource: 1,
      reductionFactor: 2,
      minEarlyStoppingRate: 1,
    });
    assert.equal(p.prune(view(others), curve([0, 0], 'running')).prune, false);
    const maxView = view(others, ['maximize']);
    // Rung 0 at step 2; top 4 of {1..7, mine} when maximising: mine 4.5 > 4th largest (4) promotes.
    assert.equal(p.prune(maxView, curve([0, 0, 4.5], 'running')).prune, false);
    assert.equal(p.prune(maxView, curve([0, 0, 3.5], 'running')).prune, true);
  });

  test('Pareto rank: a dominated vector is not in the top half of the rung', () => {
    const mo = [
      [1, 4],
      [2, 3],
      [3, 2],
      [4, 1],
    ].map((v) => curve([v, v], 'complete', { 'asha:rung_0': v }));
    const p = new SuccessiveHalvingPruner({
      minResource: 1,
      reductionFactor: 2,
      objective: 'pareto',
    });
    const dirs: Direction[] = ['minimize', 'minimize'];
    assert.equal(
      p.prune(
        view(mo, dirs),
        curve(
          [
            [5, 5],
            [5, 5],
          ],
          'running',
        ),
      ).prune,
      true,
    );
    assert.equal(
      p.prune(
        view(mo, dirs),
        curve(
          [
            [0, 0],
            [0, 0],
          ],
          'running',
        ),
      ).prune,
      false,
    );
  });
});

describe('hyperband (Li et al. 2018)', () => {
  test('81 / 1 with eta 3 gives 5 brackets with budgets ceil(5 * 3^s / (s + 1)) = 81, 34, 15, 8, 5', () => {
    const h = new HyperbandPruner({ minResource: 1, maxResource: 81, reductionFactor: 3 });
    assert.deepEqual(h.budgets, [81, 34, 15, 8, 5]);
    const counts = [0, 0, 0, 0, 0];
    for (let n = 0; n < 14300; n++) counts[h.bracketOf('study', n)]++;
    // crc32 spreads trials in proportion to the budgets (143 in all).
    [81, 34, 15, 8, 5].forEach((b, i) =>
      assert.ok(Math.abs(counts[i] / 14300 - b / 143) < 0.02, `bracket ${i}: ${counts[i]}`),
    );
  });

  test('crc32 matches zlib: crc32("123456789") = 0xCBF43926', () => {
    assert.equal(crc32('123456789'), 0xcbf43926);
  });

  test('a trial competes only with its own bracket, whose first rung is at eta^bracket', () => {
    const h = new HyperbandPruner({ minResource: 1, maxResource: 9, reductionFactor: 3 });
    // Find trial numbers in bracket 0 (rungs at 1, 3, 9) and bracket 2 (first rung at 9).
    const numbers = Array.from({ length: 200 }, (_, i) => i);
    const b0 = numbers.filter((n) => h.bracketOf('study', n) === 0);
    const b2 = numbers.filter((n) => h.bracketOf('study', n) === 2);
    const mk = (
      n: number,
      v: number[],
      state: FrozenTrial['state'],
      attrs: Record<string, JsonValue> = {},
    ): FrozenTrial => ({ ...curve(v, state, attrs), number: n });
    // Three good bracket-0 trials recorded 1 at rung 0; a bracket-0 trial with 5 is pruned at step 1.
    const good = b0.slice(0, 3).map((n) => mk(n, [1, 1], 'complete', { 'asha:rung_0': 1 }));
    const bad0 = mk(b0[3], [5, 5], 'running');
    assert.equal(h.prune(view([...good, bad0]), bad0).prune, true);
    // The same curve in bracket 2 is not judged before step 9.
    const bad2 = mk(b2[0], [5, 5], 'running');
    assert.equal(h.prune(view([...good, bad2]), bad2).prune, false);
  });

  test('settings are validated with the argument named', () => {
    assert.throws(
      () => createPruner('hyperband', { reductionFactor: 1 }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'reductionFactor',
    );
    assert.throws(
      () => createPruner('median', { percentile: 30 }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'percentile',
    );
    assert.throws(() => createPruner('asha', { objective: -1 }), /objective/);
    assert.throws(() => createPruner('nop', { x: 1 }), ValidationError);
  });
});
