import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConflictError, ValidationError } from '../../platform/errors/domain-error';
import { MedianPruner } from './pruners/median';
import { SuccessiveHalvingPruner } from './pruners/successive-halving';
import { GridSampler } from './samplers/grid';
import { RandomSampler } from './samplers/random';
import { TpeSampler } from './samplers/tpe';
import { InMemoryStudyStorage } from './memory-storage';
import { parseSearchSpace } from './space';
import { Study, TrialPruned } from './study';

const make = (directions: ('minimize' | 'maximize')[] = ['minimize']) =>
  Study.create(
    { storage: new InMemoryStudyStorage(), sampler: new RandomSampler({ seed: 1 }) },
    { name: 's', directions },
  );

describe('Study ask/tell', () => {
  test('define-by-run suggestions are stored with their distributions, in range, and repeatable by name', async () => {
    const study = await make();
    const trial = await study.ask();
    const lr = trial.suggestFloat('lr', 1e-4, 1e-1, { log: true });
    const n = trial.suggestInt('n', 2, 20, { step: 2 });
    const act = trial.suggestCategorical('act', ['relu', 'tanh']);
    assert.ok(lr >= 1e-4 && lr <= 1e-1);
    assert.ok(n % 2 === 0 && n >= 2 && n <= 20);
    assert.equal(trial.suggestFloat('lr', 1e-4, 1e-1, { log: true }), lr);
    assert.throws(() => trial.suggestFloat('lr', 0, 1), ValidationError);
    await study.tell(trial, 0.5);
    const [t] = await study.trials();
    assert.deepEqual(t.params, { lr, n, act });
    assert.equal(t.distributions.n.type, 'int');
    assert.equal(t.state, 'complete');
  });

  test('a second tell is refused; NaN makes the trial failed (Optuna semantics)', async () => {
    const study = await make();
    const a = await study.ask();
    await study.tell(a, 1);
    await assert.rejects(study.tell(a, 2), ConflictError);
    const b = await study.ask();
    assert.equal((await study.tell(b, NaN)).state, 'failed');
    const c = await study.ask();
    await assert.rejects(study.tell(c, [1, 2]), ValidationError);
  });

  test('optimize with concurrency runs exactly nTrials with unique numbers; TrialPruned and errors are recorded', async () => {
    const study = await make();
    let calls = 0;
    await study.optimize(
      async (t) => {
        calls++;
        const x = t.suggestFloat('x', -1, 1);
        await new Promise((r) => setTimeout(r, 1));
        if (t.number % 7 === 3) throw new TrialPruned();
        if (t.number % 7 === 5) throw new Error('boom');
        return x * x;
      },
      { nTrials: 21, concurrency: 4, catchErrors: true },
    );
    const trials = await study.trials();
    assert.equal(calls, 21);
    assert.deepEqual(
      trials.map((t) => t.number),
      Array.from({ length: 21 }, (_, i) => i),
    );
    assert.equal(trials.filter((t) => t.state === 'pruned').length, 3);
    const failed = trials.filter((t) => t.state === 'failed');
    assert.equal(failed.length, 3);
    assert.equal(failed[0].userAttrs.error, 'boom');
  });

  test('optimize rethrows an objective error unless catchErrors', async () => {
    const study = await make();
    await assert.rejects(
      study.optimize(
        () => {
          throw new Error('bad');
        },
        { nTrials: 3 },
      ),
      /bad/,
    );
    assert.equal((await study.trials())[0].state, 'failed');
  });

  test('bestTrial respects direction and constraints (infeasible trials are never best)', async () => {
    const study = await make(['maximize']);
    for (const [v, c] of [
      [5, 1],
      [3, -1],
      [4, 0],
      [1, -2],
    ] as const) {
      const t = await study.ask();
      await study.tell(t, { values: v, constraints: [c] });
    }
    assert.deepEqual((await study.bestTrial())?.values, [4]);
  });

  test('bestTrials is the Pareto front for two objectives', async () => {
    const study = await make(['minimize', 'maximize']);
    for (const v of [
      [1, 1],
      [2, 3],
      [3, 2],
      [0, 0],
      [2, 2],
    ])
      await study.tell(await study.ask(), v);
    const front = (await study.bestTrials()).map((t) => t.values);
    assert.deepEqual(front, [
      [1, 1],
      [2, 3],
      [0, 0],
    ]);
  });

  test('report + shouldPrune uses trials finished after this trial was asked (snapshot refresh)', async () => {
    const storage = new InMemoryStudyStorage();
    const study = await Study.create(
      { storage, sampler: new RandomSampler(), pruner: new MedianPruner({ nStartupTrials: 1 }) },
      { name: 'p' },
    );
    const late = await study.ask();
    const done = await study.ask();
    await done.report(1, 0);
    await study.tell(done, 1);
    await late.report(5, 0);
    assert.equal(late.shouldPrune(), true);
    assert.deepEqual((await storage.getTrial(study.id, late.number)).intermediate, [
      { step: 0, values: [5] },
    ]);
  });

  test('constant liar: parallel asks see each other as running and spread out', async () => {
    // Reference: Optuna's constant_liar puts running trials in the bad group, so with a good region
    // already known, concurrent asks should not all land on the same point.
    const space = parseSearchSpace({ x: { type: 'float', low: 0, high: 1 } });
    const run = async (constantLiar: boolean) => {
      const study = await Study.create(
        {
          storage: new InMemoryStudyStorage(),
          sampler: new TpeSampler({ seed: 5, constantLiar, nStartupTrials: 10 }),
          space,
        },
        { name: 'cl' },
      );
      for (let i = 0; i < 20; i++) {
        const t = await study.askFromSpace();
        await study.tell(t, ((t.params.x as number) - 0.3) ** 2);
      }
      const batch = [];
      for (let i = 0; i < 8; i++) batch.push(await study.askFromSpace());
      const xs = batch.map((t) => t.params.x as number);
      return Math.max(...xs) - Math.min(...xs);
    };
    assert.ok((await run(true)) > (await run(false)));
  });

  test('stateless report by trial number (REST / command runner) stores the value and the ASHA rung', async () => {
    const storage = new InMemoryStudyStorage();
    const study = await Study.create(
      {
        storage,
        sampler: new RandomSampler(),
        pruner: new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 }),
      },
      { name: 'rest' },
    );
    const a = await study.ask();
    const b = await study.ask();
    assert.deepEqual(await study.report(a.number, 1, 1), { shouldPrune: false });
    // b's 3 at rung 0 competes with a's 1: top 1/2 of {1, 3} is 1 only, so b is pruned.
    assert.deepEqual(await study.report(b.number, 3, 1), { shouldPrune: true });
    assert.equal((await storage.getTrial(study.id, b.number)).systemAttrs['asha:rung_0'], 3);
  });

  test('a sampler that cannot sample (grid without a declared space) fails the trial it created', async () => {
    const study = await Study.create(
      { storage: new InMemoryStudyStorage(), sampler: new GridSampler() },
      { name: 'g' },
    );
    await assert.rejects(study.ask(), ValidationError);
    assert.equal((await study.trials())[0].state, 'failed');
  });
});
