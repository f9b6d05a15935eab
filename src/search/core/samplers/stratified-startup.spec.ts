import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InMemoryStudyStorage, Study, createSampler, parseSearchSpace } from '..';
import { toUnit } from '../distributions';
import { TrialSeededSampler } from './trial-seeded-sampler';

const space = parseSearchSpace({
  x: { type: 'float', low: -5, high: 5 },
  lr: { type: 'float', low: 1e-5, high: 1e-1, log: true },
  n: { type: 'int', low: 0, high: 99 },
  opt: { type: 'categorical', choices: ['sgd', 'adam', 'rmsprop'] },
});

/** The first `n` trials of a TPE study; `fresh` builds the sampler per ask as the service does. */
async function startupTrials(n: number, settings: Record<string, unknown>, fresh = false) {
  const storage = new InMemoryStudyStorage();
  const { id } = await storage.createStudy({ name: 's', directions: ['minimize'] });
  const long = createSampler('tpe', settings);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const sampler = fresh ? new TrialSeededSampler({ name: 'tpe', settings }) : long;
    const study = await Study.load({ storage, sampler, space }, id);
    const t = await study.askFromSpace();
    out.push(t.params);
    await study.tell(t, Math.abs(t.params.x as number));
  }
  return out;
}

/** Stratum (0..k-1) of each trial's value of a numeric parameter. */
function strata(trials: Record<string, unknown>[], name: string, k: number): number[] {
  const d = space.params.find((p) => p.name === name)?.distribution;
  if (!d || d.type === 'categorical') throw new Error(name);
  return trials.map((t) => Math.min(k - 1, Math.floor(toUnit(d, t[name] as number) * k)));
}

describe('TPE stratified startup (a Latin hypercube built from the history)', () => {
  for (const fresh of [false, true]) {
    test(`the 10 startup trials cover each tenth of every numeric range once (${fresh ? 'sampler per ask' : 'one sampler'})`, async () => {
      const trials = await startupTrials(10, { seed: 4 }, fresh);
      for (const name of ['x', 'lr', 'n'])
        assert.deepEqual(
          strata(trials, name, 10).sort((a, b) => a - b),
          [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
          name,
        );
      // 10 trials over 3 choices: counts 4/3/3.
      const counts = ['sgd', 'adam', 'rmsprop'].map(
        (c) => trials.filter((t) => t.opt === c).length,
      );
      assert.deepEqual(
        counts.sort((a, b) => a - b),
        [3, 3, 4],
      );
    });
  }

  test('the same seed gives the same trials; `startup: random` draws i.i.d. as before', async () => {
    assert.deepEqual(await startupTrials(10, { seed: 4 }), await startupTrials(10, { seed: 4 }));
    // With i.i.d. draws some tenth of some range is (almost surely) left empty.
    const iid = await startupTrials(10, { seed: 4, startup: 'random' });
    const empty = ['x', 'lr', 'n'].some((name) => new Set(strata(iid, name, 10)).size < 10);
    assert.ok(empty);
    assert.throws(() => createSampler('tpe', { startup: 'sobol' }), /startup/);
  });
});
