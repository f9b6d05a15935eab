import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import casesJson from '../../../../test/fixtures/search/wilcoxon-reference.json';
import { InMemoryStudyStorage } from '../memory-storage';
import { Study } from '../study';
import { RandomSampler } from '../samplers/random';
import { Alternative, wilcoxonSignedRank } from './signed-rank';
import { WilcoxonPruner } from './wilcoxon';

// scipy.stats.wilcoxon(d, alternative, zero_method="zsplit"), test/fixtures/search/wilcoxon-reference.py
const CASES = casesJson as unknown as { d: number[]; alternative: Alternative; p: number }[];

describe('Wilcoxon signed-rank test (reference: scipy 1.10)', () => {
  test('p-values match scipy: exact, tied, zero (normal approximation) and n > 50 cases', () => {
    for (const c of CASES) {
      const p = wilcoxonSignedRank(c.d, c.alternative);
      assert.ok(Math.abs(p - c.p) < 1e-12, `n=${c.d.length} ${c.alternative}: ${p} vs ${c.p}`);
    }
  });
});

describe('WilcoxonPruner (Optuna 3.6 semantics)', () => {
  async function studyWithBest(direction: 'minimize' | 'maximize') {
    const study = await Study.create(
      {
        storage: new InMemoryStudyStorage(),
        sampler: new RandomSampler(),
        pruner: new WilcoxonPruner({ pThreshold: 0.1 }),
      },
      { name: 'folds', directions: [direction] },
    );
    // The best trial: per-instance losses 1.0 .. 1.9.
    const best = await study.ask();
    for (let i = 0; i < 10; i++) await study.report(best.number, 1 + i / 10, i);
    await study.tell(best, 1.45);
    return study;
  }

  test('a trial worse on every instance is pruned once the test is significant, not before nStartupSteps', async () => {
    const study = await studyWithBest('minimize');
    const t = await study.ask();
    const decisions: boolean[] = [];
    for (let i = 0; i < 6; i++)
      decisions.push((await study.report(t.number, 1.5 + i / 10, i)).shouldPrune);
    // One-sided exact p after n worse instances is 2^-n: 0.5, 0.25, 0.125, 0.0625 < 0.1.
    assert.deepEqual(decisions, [false, false, false, true, true, true]);
  });

  test('a trial better on average is never pruned, and the direction is honoured', async () => {
    const study = await studyWithBest('minimize');
    const t = await study.ask();
    for (let i = 0; i < 10; i++)
      assert.equal((await study.report(t.number, 0.5 + i / 10, i)).shouldPrune, false);
    const max = await studyWithBest('maximize');
    const u = await max.ask();
    const decisions: boolean[] = [];
    for (let i = 0; i < 5; i++)
      decisions.push((await max.report(u.number, 0.5 + i / 10, i)).shouldPrune);
    assert.deepEqual(decisions, [false, false, false, true, true]);
  });
});
