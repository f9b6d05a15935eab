import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError } from '../../../platform/errors/domain-error';
import { InMemoryStudyStorage } from '../memory-storage';
import { parseSearchSpace } from '../space';
import { Study } from '../study';
import { SAMPLER_NAMES, createSampler } from './sampler-registry';

const space = parseSearchSpace({
  x: { type: 'float', low: -5, high: 5 },
  lr: { type: 'float', low: 1e-4, high: 1, log: true },
  n: { type: 'int', low: 1, high: 8 },
  act: { type: 'categorical', choices: ['relu', 'tanh', 'gelu'] },
});

const small = (name: string, seed: number) =>
  ({
    nsga2: { seed, populationSize: 6 },
    nsga3: { seed, populationSize: 6 },
    gp: { seed, nStartupTrials: 5, nCandidates: 128 },
    auto: { seed, gpMaxTrials: 20 },
    'regularized-evolution': { seed, populationSize: 6, sampleSize: 3 },
    tpe: { seed, nStartupTrials: 5 },
    'tpe-multivariate': { seed, nStartupTrials: 5 },
  })[name] ?? { seed };

async function run(name: string, seed: number): Promise<unknown[]> {
  const study = await Study.create(
    { storage: new InMemoryStudyStorage(), sampler: createSampler(name, small(name, seed)), space },
    { name: 'repro' },
  );
  await study.optimize(
    (t) => {
      // Define-by-run on half the parameters, so relative and independent paths are both used.
      const x = t.suggestFloat('x', -5, 5);
      const n = t.suggestInt('n', 1, 8);
      const act = t.suggestCategorical('act', ['relu', 'tanh', 'gelu']);
      const lr = t.suggestFloat('lr', 1e-4, 1, { log: true });
      return x * x + n + (act === 'relu' ? 0 : 1) + Math.abs(Math.log10(lr) + 2);
    },
    { nTrials: 30 },
  );
  return (await study.trials()).map((t) => t.params);
}

describe('sampler registry', () => {
  // Optuna's test_samplers.py runs every registered sampler through the same reproducibility test.
  for (const name of SAMPLER_NAMES) {
    test(`${name}: the same seed gives the same trials, another seed different ones`, async () => {
      const a = await run(name, 7);
      const b = await run(name, 7);
      const c = await run(name, 8);
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
    });
  }

  test('unknown names and bad settings are ValidationErrors naming the field and value', () => {
    assert.throws(
      () => createSampler('bayes'),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'name',
    );
    assert.throws(
      () => createSampler('tpe', { nStartupTrials: -1 }),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.problems[0].field === 'nStartupTrials' &&
        /-1/.test(e.message),
    );
    assert.throws(
      () => createSampler('tpe', { nStarupTrials: 3 }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'nStarupTrials',
    );
    assert.throws(
      () => createSampler('regularized-evolution', { populationSize: 5, sampleSize: 9 }),
      /sampleSize/,
    );
    assert.throws(() => createSampler('cmaes', { sigma0: 0 }), /sigma0/);
  });
});
