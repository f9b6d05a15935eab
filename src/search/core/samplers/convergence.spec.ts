/**
 * TPE and CMA-ES against random search at equal budgets (median best regret over seeds) on
 * Branin (f* = 0.397887) and Hartmann6 (f* = -3.32237), as issue 3 asks; NSGA-II on ZDT1 against
 * the hypervolume of the true front (0.1 + 2/3 + 0.11 = 0.876667 at reference (1.1, 1.1)).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BENCHMARKS, zdt1 } from '../benchmarks/benchmark-functions';
import { InMemoryStudyStorage } from '../memory-storage';
import { hypervolume } from '../multi-objective';
import { Study } from '../study';
import { createSampler } from './sampler-registry';

const SEEDS = [0, 1, 2, 3, 4];
const TRIALS = 100;

async function medianRegret(fnName: string, sampler: string): Promise<number> {
  const fn = BENCHMARKS.find((b) => b.name === fnName);
  if (!fn) throw new Error(fnName);
  const regrets: number[] = [];
  for (const seed of SEEDS) {
    const study = await Study.create(
      { storage: new InMemoryStudyStorage(), sampler: createSampler(sampler, { seed }) },
      { name: fnName },
    );
    await study.optimize((t) => fn.objective(t), { nTrials: TRIALS });
    regrets.push(((await study.bestTrial())?.values as number[])[0] - fn.optimum);
  }
  return regrets.sort((a, b) => a - b)[SEEDS.length >> 1];
}

describe('convergence against random search', () => {
  for (const fn of ['branin', 'hartmann6']) {
    test(`${fn}: TPE and CMA-ES median regret < half of random's after ${TRIALS} trials`, async () => {
      const random = await medianRegret(fn, 'random');
      for (const s of ['tpe', 'cmaes']) {
        const r = await medianRegret(fn, s);
        assert.ok(r < 0.5 * random, `${s} regret ${r} vs random ${random}`);
      }
    });
  }

  test('NSGA-II on ZDT1 (5 variables, 1000 trials): median hypervolume ratio > 0.9, random < 0.5', async () => {
    const trueHv = 0.1 + 2 / 3 + 0.11;
    const ratio = async (sampler: string, settings: object, seed: number) => {
      const study = await Study.create(
        {
          storage: new InMemoryStudyStorage(),
          sampler: createSampler(sampler, { seed, ...settings }),
        },
        { name: 'zdt1', directions: ['minimize', 'minimize'] },
      );
      await study.optimize(
        (t) => zdt1(Array.from({ length: 5 }, (_, i) => t.suggestFloat(`x${i}`, 0, 1))),
        { nTrials: 1000 },
      );
      return (
        hypervolume(
          (await study.bestTrials()).map((t) => t.values as number[]),
          [1.1, 1.1],
        ) / trueHv
      );
    };
    const nsga = [
      await ratio('nsga2', { populationSize: 20 }, 0),
      await ratio('nsga2', { populationSize: 20 }, 1),
      await ratio('nsga2', { populationSize: 20 }, 2),
    ];
    const median = nsga.sort((a, b) => a - b)[1];
    assert.ok(median > 0.9, `nsga2 ratios ${nsga}`);
    assert.ok((await ratio('random', {}, 0)) < 0.5);
  });
});
