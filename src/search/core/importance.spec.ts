import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RandomSampler } from './samplers/random';
import { parameterImportance } from './importance';
import { InMemoryStudyStorage } from './memory-storage';
import { Study } from './study';

describe('parameterImportance (permutation importance on a random forest)', () => {
  test('f = 10 x0^2 + x1 + 0 * x2 + category offset 0.01: x0 first, x2 and the category last', async () => {
    // Known answer: over [-1, 1]^3 the variance of 10 x0^2 (~8.9) dwarfs that of x1 (~0.33);
    // x2 does not enter f and the categorical offset is negligible.
    const study = await Study.create(
      { storage: new InMemoryStudyStorage(), sampler: new RandomSampler({ seed: 2 }) },
      { name: 'imp' },
    );
    await study.optimize(
      (t) => {
        const x0 = t.suggestFloat('x0', -1, 1);
        const x1 = t.suggestFloat('x1', -1, 1);
        t.suggestFloat('x2', -1, 1);
        const c = t.suggestCategorical('c', ['a', 'b']);
        return 10 * x0 * x0 + x1 + (c === 'a' ? 0.01 : 0);
      },
      { nTrials: 150 },
    );
    const imp = parameterImportance(await study.trials(), { seed: 1, nTrees: 32 });
    const order = Object.keys(imp);
    assert.equal(order[0], 'x0');
    assert.equal(order[1], 'x1');
    assert.ok(imp.x0 > 0.7, JSON.stringify(imp));
    assert.ok(imp.x2 < 0.05 && imp.c < 0.05, JSON.stringify(imp));
    assert.ok(Math.abs(Object.values(imp).reduce((a, b) => a + b, 0) - 1) < 1e-9);
  });

  test('is deterministic under a seed and refuses fewer than 4 complete trials', async () => {
    const study = await Study.create(
      { storage: new InMemoryStudyStorage(), sampler: new RandomSampler({ seed: 3 }) },
      { name: 'imp2' },
    );
    await study.optimize((t) => t.suggestFloat('a', 0, 1) + 0.1 * t.suggestFloat('b', 0, 1), {
      nTrials: 40,
    });
    const trials = await study.trials();
    assert.deepEqual(
      parameterImportance(trials, { seed: 5 }),
      parameterImportance(trials, { seed: 5 }),
    );
    assert.throws(() => parameterImportance(trials.slice(0, 3)), /at least 4/);
  });
});
