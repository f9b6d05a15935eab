import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../../platform/core/rng';
import { InMemoryStudyStorage } from '../memory-storage';
import { parseSearchSpace } from '../space';
import { Study } from '../study';
import { Direction, FrozenTrial } from '../trial';
import { AUTO_CHOICE, AutoSampler } from './auto';
import { gpLooGain } from './gp-fit-quality';

const NUMERIC = { x: { type: 'float', low: -5, high: 5 }, y: { type: 'float', low: -5, high: 5 } };
const quadratic = (p: Record<string, unknown>) =>
  ((p.x as number) - 1.5) ** 2 + ((p.y as number) + 2) ** 2;

async function newStudy(
  spaceJson: unknown,
  settings: object = {},
  directions: Direction[] = ['minimize'],
  priorTrials?: FrozenTrial[],
) {
  return Study.create(
    {
      storage: new InMemoryStudyStorage(),
      sampler: new AutoSampler({ seed: 1, ...settings }),
      space: parseSearchSpace(spaceJson),
      priorTrials,
    },
    { name: 'auto', directions },
  );
}

describe('AutoSampler', () => {
  test('numeric space: GP below gpMaxTrials, then CMA-ES started at the best trials; each trial records its choice', async () => {
    const study = await newStudy(NUMERIC, { gpMaxTrials: 15 });
    for (let i = 0; i < 25; i++) {
      const t = await study.askFromSpace();
      await study.tell(t, quadratic(t.params));
    }
    const trials = await study.trials();
    assert.deepEqual(
      trials.map((t) => t.systemAttrs[AUTO_CHOICE]),
      [...Array(15).fill('gp'), ...Array(10).fill('cmaes')],
    );
    // CMA-ES generation 0 is centred on the GP's best region, not the middle of the box (0, 0).
    const cma = trials.slice(15);
    const meanX = cma.reduce((s, t) => s + (t.params.x as number), 0) / cma.length;
    const meanY = cma.reduce((s, t) => s + (t.params.y as number), 0) / cma.length;
    assert.ok(Math.abs(meanX - 1.5) < 1 && Math.abs(meanY + 2) < 1, `CMA mean ${meanX}, ${meanY}`);
  });

  test('the GP keeps its trials while it predicts the objective, and hands them to TPE when its leave-one-out fit is no better than the spread of the values', async () => {
    const smooth = await newStudy(NUMERIC, { gpCheckTrials: 15 });
    const rugged = await newStudy(NUMERIC, { gpCheckTrials: 15 });
    const noise = new Rng('rugged');
    for (let i = 0; i < 30; i++) {
      const a = await smooth.askFromSpace();
      await smooth.tell(a, quadratic(a.params));
      // Values with no relation to the parameters: nothing a GP can predict.
      const b = await rugged.askFromSpace();
      await rugged.tell(b, noise.normal(0, 1));
    }
    const choices = async (s: Study) =>
      (await s.trials()).map((t) => t.systemAttrs[AUTO_CHOICE] as string);
    const gain = (s: Study) => async () => gpLooGain(await s.view());
    assert.deepEqual(await choices(smooth), Array(30).fill('gp'));
    const ruggedChoices = await choices(rugged);
    assert.deepEqual(ruggedChoices.slice(0, 15), Array(15).fill('gp'));
    assert.ok(
      ruggedChoices.slice(15).every((c) => c === 'tpe'),
      ruggedChoices.join(' '),
    );
    assert.ok(((await gain(smooth)()) ?? 0) > 1, 'a quadratic is predicted well');
    assert.ok(((await gain(rugged)()) ?? 1) < 0.5, 'noise is not');
  });

  test('conditional spaces use TPE, categorical long runs TPE, 2 / 3 objectives NSGA-II / NSGA-III', async () => {
    const conditional = {
      opt: { type: 'categorical', choices: ['sgd', 'adam'] },
      momentum: { type: 'float', low: 0, high: 1, when: { opt: ['sgd'] } },
    };
    const c = await newStudy(conditional);
    await c.tell(await c.askFromSpace(), 1);
    assert.equal((await c.trials())[0].systemAttrs[AUTO_CHOICE], 'tpe');
    const mixed = { ...NUMERIC, act: { type: 'categorical', choices: ['relu', 'tanh'] } };
    const m = await newStudy(mixed, { gpMaxTrials: 3 });
    for (let i = 0; i < 4; i++) await m.tell(await m.askFromSpace(), i);
    assert.deepEqual(
      (await m.trials()).map((t) => t.systemAttrs[AUTO_CHOICE]),
      ['gp', 'gp', 'gp', 'tpe'],
    );
    for (const [dirs, want] of [
      [['minimize', 'minimize'], 'nsga2'],
      [['minimize', 'minimize', 'maximize'], 'nsga3'],
    ] as const) {
      const s = await newStudy(NUMERIC, {}, [...dirs]);
      await s.tell(
        await s.askFromSpace(),
        dirs.map(() => 1),
      );
      assert.equal((await s.trials())[0].systemAttrs[AUTO_CHOICE], want);
    }
  });

  test('warm start: prior trials seed the GP, so the first trials are model-based and near the optimum, not counted as trials', async () => {
    const source = await newStudy(NUMERIC);
    for (let i = 0; i < 20; i++) {
      const t = await source.askFromSpace();
      await source.tell(t, quadratic(t.params));
    }
    const prior = await source.trials(['complete']);
    const bestPrior = Math.min(...prior.map((t) => (t.values as number[])[0]));
    const bestOfThree = async (s: Study) => {
      for (let i = 0; i < 3; i++) {
        const t = await s.askFromSpace();
        await s.tell(t, quadratic(t.params));
      }
      const trials = await s.trials();
      assert.deepEqual(
        trials.map((t) => t.number),
        [0, 1, 2],
      );
      return Math.min(...trials.map((t) => (t.values as number[])[0]));
    };
    const warm = await bestOfThree(await newStudy(NUMERIC, {}, ['minimize'], prior));
    const cold = await bestOfThree(await newStudy(NUMERIC));
    // Cold: three random startup draws; warm: the GP on the 20 prior observations.
    assert.ok(warm < bestPrior + 0.01, `warm ${warm} vs prior best ${bestPrior}`);
    assert.ok(warm < cold, `warm ${warm} vs cold ${cold}`);
  });
});
