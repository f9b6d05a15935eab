import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { zdt1 } from '../benchmarks/benchmark-functions';
import { InMemoryStudyStorage } from '../memory-storage';
import { hypervolume } from '../multi-objective';
import { Study } from '../study';
import { Direction } from '../trial';
import { createSampler } from './sampler-registry';
import { TpeSampler } from './tpe';

async function constrainedRun(sampler: string, seed: number) {
  // minimise x^2 + y^2 subject to x >= 0.6 (constraint 0.6 - x <= 0): optimum 0.36 at (0.6, 0).
  const study = await Study.create(
    { storage: new InMemoryStudyStorage(), sampler: createSampler(sampler, { seed }) },
    { name: 'c' },
  );
  await study.optimize(
    (t) => {
      const x = t.suggestFloat('x', -1, 1);
      const y = t.suggestFloat('y', -1, 1);
      return { values: x * x + y * y, constraints: [0.6 - x] };
    },
    { nTrials: 60 },
  );
  const trials = await study.trials();
  const late = trials.slice(30);
  return {
    feasibleShare: late.filter((t) => (t.constraints as number[])[0] <= 0).length / late.length,
    best: ((await study.bestTrial())?.values as number[])[0],
  };
}

describe('constrained TPE (Optuna constraints_func semantics)', () => {
  test('concentrates on the feasible region near the constrained optimum 0.36', async () => {
    // Random search puts 20% of its trials in x >= 0.6; constrained TPE should do far better.
    // Median feasible share over 20 seeds: 0.55 (stratified startup), 0.53 (random startup); the
    // 5 seeds here sit at 0.5, so the bar is 0.45, still over twice random search's 0.2.
    const seeds = [0, 1, 2, 3, 4];
    const tpe = await Promise.all(seeds.map((s) => constrainedRun('tpe', s)));
    const rnd = await Promise.all(seeds.map((s) => constrainedRun('random', s)));
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[2];
    assert.ok(med(tpe.map((r) => r.feasibleShare)) > 0.45, JSON.stringify(tpe));
    assert.ok(med(tpe.map((r) => r.feasibleShare)) > med(rnd.map((r) => r.feasibleShare)) + 0.2);
    assert.ok(
      med(tpe.map((r) => r.best)) < med(rnd.map((r) => r.best)),
      JSON.stringify({ tpe, rnd }),
    );
    assert.ok(med(tpe.map((r) => r.best)) < 0.45, JSON.stringify(tpe));
  });

  test('multi-objective TPE on ZDT1 (300 trials): median hypervolume ratio well above random search', async () => {
    // True-front hypervolume at (1.1, 1.1) is 0.1 + 2/3 + 0.11 (Zitzler, Deb & Thiele 2000).
    const ratio = async (sampler: string, seed: number) => {
      const study = await Study.create(
        { storage: new InMemoryStudyStorage(), sampler: createSampler(sampler, { seed }) },
        { name: 'zdt1', directions: ['minimize', 'minimize'] },
      );
      await study.optimize(
        (t) => zdt1(Array.from({ length: 5 }, (_, i) => t.suggestFloat(`x${i}`, 0, 1))),
        { nTrials: 300 },
      );
      const front = (await study.bestTrials()).map((t) => t.values as number[]);
      return hypervolume(front, [1.1, 1.1]) / (0.1 + 2 / 3 + 0.11);
    };
    // Median over 8 seeds: 0.63 (stratified startup), 0.66 (random startup), random search 0.28;
    // the 5 seeds here give 0.59.
    const seeds = [0, 1, 2, 3, 4];
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[2];
    const tpe = med(await Promise.all(seeds.map((s) => ratio('tpe', s))));
    const rnd = med(await Promise.all(seeds.map((s) => ratio('random', s))));
    assert.ok(tpe > 0.55 && tpe > rnd + 0.25, `tpe ${tpe} random ${rnd}`);
  });

  test("Optuna 5's defaults: multivariate with one objective, univariate with two; constant liar on", async () => {
    const make = async (directions: Direction[], running: boolean) => {
      const storage = new InMemoryStudyStorage();
      const study = await Study.create(
        { storage, sampler: createSampler('random', { seed: 3 }) },
        { name: 'd', directions },
      );
      await study.optimize(
        (t) => {
          const x = t.suggestFloat('x', 0, 1);
          return directions.map((_, k) => (x - 0.2 * k) ** 2);
        },
        { nTrials: 12 },
      );
      if (running) (await study.ask()).suggestFloat('x', 0, 1);
      const next = await storage.createTrial(study.id);
      return { view: await study.view(), next };
    };
    const one = await make(['minimize'], true);
    const tpe = new TpeSampler({ seed: 0 });
    assert.deepEqual(Object.keys(tpe.sampleRelative(one.view, one.next).params), ['x']);
    // The other running trial (number 12) is in the bad group: constant liar.
    assert.ok(tpe.split(one.view, one.next).above.some((t) => t.number === 12));
    const noLiar = new TpeSampler({ seed: 0, constantLiar: false });
    assert.ok(!noLiar.split(one.view, one.next).above.some((t) => t.number === 12));
    const two = await make(['minimize', 'minimize'], false);
    assert.deepEqual(new TpeSampler({ seed: 0 }).sampleRelative(two.view, two.next).params, {});
    const forced = new TpeSampler({ seed: 0, multivariate: true });
    assert.deepEqual(Object.keys(forced.sampleRelative(two.view, two.next).params), ['x']);
  });
});
