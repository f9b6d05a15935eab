import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryStudyStorage, Study, createSampler, parseSearchSpace } from '..';
import { TrialSeededSampler, trialSeed } from './trial-seeded-sampler';

const space = parseSearchSpace({ x: { type: 'float', low: 0, high: 1 } });

/** Asks `n` trials, building the sampler afresh for every ask as the REST service does. */
async function askFresh(n: number, makeSampler: () => ReturnType<typeof createSampler>) {
  const storage = new InMemoryStudyStorage();
  const { id } = await storage.createStudy({ name: 's', directions: ['minimize'] });
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const study = await Study.load({ storage, sampler: makeSampler(), space }, id);
    const t = await study.askFromSpace();
    xs.push(t.params.x as number);
    await study.tell(t, (t.params.x as number) ** 2);
  }
  return xs;
}

describe('TrialSeededSampler (per-trial seeds for per-request samplers)', () => {
  test('a fresh seeded RandomSampler per ask repeats itself; the per-trial seed does not', async () => {
    // The failure it prevents: every new instance replays the same stream (x0 = x1 = x2 ...).
    const plain = await askFresh(4, () => createSampler('random', { seed: 7 }));
    assert.equal(new Set(plain).size, 1);
    const seeded = await askFresh(
      4,
      () => new TrialSeededSampler({ name: 'random', settings: { seed: 7 } }),
    );
    assert.equal(new Set(seeded).size, 4);
    // Same seed and history, same trials, whichever process asks.
    assert.deepEqual(
      await askFresh(4, () => new TrialSeededSampler({ name: 'random', settings: { seed: 7 } })),
      seeded,
    );
  });

  test('qmc keeps the study seed: the fresh-per-ask sequence equals one long-lived sampler', async () => {
    const settings = { seed: 3 };
    const perAsk = await askFresh(5, () => new TrialSeededSampler({ name: 'qmc', settings }));
    const shared = createSampler('qmc', settings);
    assert.deepEqual(await askFresh(5, () => shared), perAsk);
  });

  test('trialSeed is a non-negative 31-bit integer, distinct across trials and studies', () => {
    const seeds = new Set<number>();
    for (let s = 0; s < 4; s++)
      for (let n = 0; n < 250; n++) {
        const v = trialSeed(s, n);
        assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** 31);
        seeds.add(v);
      }
    assert.equal(seeds.size, 1000);
  });
});
