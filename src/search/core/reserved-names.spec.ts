import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SAMPLER_NAMES, createSampler } from './samplers/sampler-registry';
import { contains } from './distributions';
import { parameterImportance } from './importance';
import { InMemoryStudyStorage } from './memory-storage';
import { isActive, parseSearchSpace } from './space';
import { Study } from './study';

/**
 * Parameter names are user data: names of Object.prototype members (`toString`,
 * `hasOwnProperty`, `valueOf`, `isPrototypeOf`) must behave like any other name in every
 * sampler, in define-by-run and in importance. Before, a plain-object lookup found the inherited
 * function and a first suggestion failed with "was already suggested ... with a different
 * distribution" (issue 12, part 5).
 */
const SPACE = {
  toString: { type: 'float', low: -2, high: 2 },
  hasOwnProperty: { type: 'int', low: 0, high: 4 },
  valueOf: { type: 'categorical', choices: ['a', 'b'] },
  isPrototypeOf: { type: 'float', low: 0.1, high: 1, log: true, when: { valueOf: 'b' } },
};

for (const name of SAMPLER_NAMES) {
  test(`sampler ${name}: parameters named toString, hasOwnProperty, valueOf, isPrototypeOf`, async () => {
    const space = parseSearchSpace(SPACE);
    const study = await Study.create(
      { storage: new InMemoryStudyStorage(), sampler: createSampler(name, { seed: 5 }), space },
      { name: 'reserved', directions: ['minimize'] },
    );
    for (let i = 0; i < 24; i++) {
      const trial = await study.askFromSpace();
      for (const p of space.params) {
        const active = isActive(p, trial.params);
        assert.equal(Object.hasOwn(trial.params, p.name), active, `${name} #${i} ${p.name}`);
        if (active) assert.ok(contains(p.distribution, trial.params[p.name]), `${p.name}`);
      }
      const x = trial.params['toString'] as number;
      await study.tell(trial, x * x + (trial.params['hasOwnProperty'] as number));
    }
    const importance = parameterImportance(await study.trials());
    assert.deepEqual(Object.keys(importance).sort(), Object.keys(SPACE).sort());
  });
}

test('define-by-run: suggesting toString twice returns the same value', async () => {
  const study = await Study.create(
    { storage: new InMemoryStudyStorage(), sampler: createSampler('random', { seed: 1 }) },
    { name: 'dbr', directions: ['minimize'] },
  );
  const trial = await study.ask();
  const v = trial.suggestFloat('toString', 0, 1);
  assert.equal(trial.suggestFloat('toString', 0, 1), v);
  assert.equal(typeof trial.suggestInt('constructor', 0, 3), 'number');
  await study.tell(trial, v);
});
