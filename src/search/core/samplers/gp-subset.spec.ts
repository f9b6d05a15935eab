import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../../platform/core/rng';
import { floatDistribution } from '../distributions';
import { InMemoryStudyStorage } from '../memory-storage';
import { Study } from '../study';
import { FrozenTrial } from '../trial';
import { GpSampler } from './gp-sampler';
import { bestFirst, trainingSubset } from './gp-subset';

/** Complete trials with one objective, value i-th of `values`. */
function trials(values: number[], constraints?: number[][]): FrozenTrial[] {
  return values.map((v, i) => ({
    number: i,
    state: 'complete',
    params: { x: i / values.length },
    distributions: {},
    values: [v],
    constraints: constraints?.[i],
    intermediate: [],
    userAttrs: {},
    systemAttrs: {},
    startedAt: 0,
  }));
}

describe('GP training subset (subset of data, Rasmussen & Williams 2006, 8.3.1)', () => {
  const rng = new Rng(1);
  const values = Array.from({ length: 1000 }, () => rng.float());

  test('at or below the cap the trained set is all trials, the same array, nothing drawn', () => {
    const all = trials(values.slice(0, 300));
    const r = new Rng(5);
    assert.equal(trainingSubset(all, ['minimize'], 300, r), all);
    assert.equal(r.float(), new Rng(5).float());
  });

  test("above it: the cap's size, the best half, a seeded sample of the rest, in order", () => {
    const all = trials(values);
    const subset = trainingSubset(all, ['minimize'], 300, new Rng(7));
    assert.equal(subset.length, 300);
    assert.equal(new Set(subset).size, 300);
    const sorted = values.slice().sort((a, b) => a - b);
    const best150 = new Set(sorted.slice(0, 150));
    assert.equal(subset.filter((t) => best150.has((t.values as number[])[0])).length, 150);
    assert.ok(
      subset.some((t) => (t.values as number[])[0] === sorted[0]),
      'contains the best',
    );
    // The other 150 come from the worse 850, spread over them (not the next best ones).
    const rest = subset.filter((t) => !best150.has((t.values as number[])[0]));
    const medianRest = rest.map((t) => (t.values as number[])[0]).sort((a, b) => a - b)[75];
    assert.ok(medianRest > 0.4 && medianRest < 0.8, `median of the sample ${medianRest}`);
    for (let i = 1; i < subset.length; i++) assert.ok(subset[i].number > subset[i - 1].number);
    const again = trainingSubset(all, ['minimize'], 300, new Rng(7));
    assert.deepEqual(
      again.map((t) => t.number),
      subset.map((t) => t.number),
    );
    const other = trainingSubset(all, ['minimize'], 300, new Rng(8));
    assert.notDeepEqual(
      other.map((t) => t.number),
      subset.map((t) => t.number),
    );
  });

  test('best first: maximisation flips the order, NaN is worst, infeasible trials come last', () => {
    assert.deepEqual(bestFirst(trials([3, NaN, 1, 2]), ['minimize']), [2, 3, 0, 1]);
    assert.deepEqual(bestFirst(trials([3, NaN, 1, 2]), ['maximize']), [0, 3, 2, 1]);
    assert.deepEqual(bestFirst(trials([1, 2, 3], [[0.5], [0], [-1]]), ['minimize']), [1, 2, 0]);
  });

  test('several objectives: the Pareto front first', () => {
    const t = trials([0, 0, 0, 0]);
    [
      [1, 1],
      [0, 2],
      [2, 2],
      [2, 0],
    ].forEach((v, i) => (t[i] = { ...t[i], values: v }));
    assert.deepEqual(bestFirst(t, ['minimize', 'minimize']), [0, 1, 3, 2]);
  });

  test('a GP ask on 2,000 trials (default cap 200) takes seconds and proposes near the optimum', async () => {
    const storage = new InMemoryStudyStorage();
    const study = await Study.create(
      { storage, sampler: new GpSampler({ seed: 0 }) },
      { name: 'cap' },
    );
    const dx = floatDistribution(0, 1);
    const dy = floatDistribution(0, 1);
    const r = new Rng(2);
    for (let i = 0; i < 2000; i++) {
      const c = await storage.createTrial(study.id);
      const x = r.float();
      const y = r.float();
      await storage.setTrialParam(study.id, c.number, 'x', x, dx);
      await storage.setTrialParam(study.id, c.number, 'y', y, dy);
      const v = (x - 0.3) ** 2 + (y - 0.7) ** 2;
      await storage.finishTrial(study.id, c.number, { state: 'complete', values: [v] });
    }
    const t0 = Date.now();
    const trial = await study.ask();
    const x = trial.suggest('x', dx) as number;
    const y = trial.suggest('y', dy) as number;
    const ms = Date.now() - t0;
    assert.ok(ms < 30000, `ask took ${ms} ms`);
    // The model of the best region proposes near the optimum (0.3, 0.7).
    assert.ok(Math.hypot(x - 0.3, y - 0.7) < 0.1, `proposed (${x}, ${y})`);
  });
});
