import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnprocessableError, ValidationError } from '../../platform/errors/domain-error';
import { createSampler, SAMPLER_NAMES } from './samplers/sampler-registry';
import { InMemoryStudyStorage } from './memory-storage';
import { isActive, parseSearchSpace } from './space';
import { Study } from './study';

const CONDITIONAL = {
  optimizer: { type: 'categorical', choices: ['sgd', 'adam'] },
  lr: { type: 'float', low: 1e-5, high: 1, log: true },
  momentum: { type: 'float', low: 0, high: 0.99, when: { optimizer: 'sgd' } },
  nesterov: { type: 'categorical', choices: [true, false], when: { optimizer: 'sgd' } },
  beta1: { type: 'float', low: 0.8, high: 0.999, when: { optimizer: ['adam'] } },
  layers: { type: 'int', low: 1, high: 4 },
  units3: { type: 'int', low: 16, high: 256, step: 16, when: { layers: [3, 4] } },
};

function problemsOf(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    return Object.fromEntries(e.problems.map((p) => [p.field, p.message]));
  }
  assert.fail('expected a ValidationError');
}

describe('parseSearchSpace', () => {
  test('parses distributions and orders parents before children', () => {
    const space = parseSearchSpace({
      ...CONDITIONAL,
      nesterov: { type: 'categorical', choices: [true, false], when: { momentum: [0.5] } },
    });
    const names = space.params.map((p) => p.name);
    assert.ok(names.indexOf('optimizer') < names.indexOf('momentum'));
    assert.ok(names.indexOf('momentum') < names.indexOf('nesterov'));
    const units = space.params.find((p) => p.name === 'units3');
    assert.deepEqual(units?.distribution, {
      type: 'int',
      low: 16,
      high: 256,
      log: false,
      step: 16,
    });
    assert.deepEqual(units?.when, { layers: [3, 4] });
  });

  test('every problem is reported with a field path naming the parameter', () => {
    const problems = problemsOf(() =>
      parseSearchSpace({
        lr: { type: 'float', low: 0, high: 1, log: true },
        n: { type: 'int', low: 1.5, high: 3 },
        a: { type: 'categorical', choices: [] },
        b: { type: 'float', low: 2, high: 1 },
        c: { type: 'matrix' },
        d: { type: 'float', low: 0, high: 1, when: { ghost: 1 } },
        e: { type: 'float', low: 0, high: 1, when: { f: 'x' } },
        f: { type: 'categorical', choices: ['y'] },
        g: { type: 'float', low: 0, high: 1, lowx: 3 },
      }),
    );
    assert.match(problems['space.lr.low'], /> 0 when log/);
    assert.match(problems['space.n.low'], /integer/);
    assert.match(problems['space.a.choices'], /non-empty/);
    assert.match(problems['space.b.high'], />= low/);
    assert.match(problems['space.c.type'], /float/);
    assert.match(problems['space.d.when.ghost'], /undeclared/);
    assert.match(problems['space.e.when.f'], /not a possible value/);
    assert.match(problems['space.g.lowx'], /unknown key/);
  });

  test('cyclic conditions are refused', () => {
    const problems = problemsOf(() =>
      parseSearchSpace({
        a: { type: 'categorical', choices: [1, 2], when: { b: 1 } },
        b: { type: 'categorical', choices: [1, 2], when: { a: 1 } },
      }),
    );
    assert.ok(Object.keys(problems).some((f) => f.endsWith('.when')));
  });

  test('isActive needs every parent active with an accepted value', () => {
    const space = parseSearchSpace({
      opt: { type: 'categorical', choices: ['sgd', 'adam'] },
      m: { type: 'float', low: 0, high: 1, when: { opt: 'sgd' } },
    });
    const m = space.params[1];
    assert.equal(isActive(m, { opt: 'sgd' }), true);
    assert.equal(isActive(m, { opt: 'adam' }), false);
    assert.equal(isActive(m, {}), false);
  });
});

describe('askFromSpace on a conditional space', () => {
  // Reference: the `when` semantics above; no sampler may report an inactive parameter.
  const space = parseSearchSpace(CONDITIONAL);
  for (const name of SAMPLER_NAMES) {
    test(`${name} never sets an inactive parameter and always sets the active ones`, async () => {
      const settings =
        name === 'nsga2' || name === 'regularized-evolution'
          ? {
              seed: 3,
              populationSize: 6,
              ...(name === 'regularized-evolution' ? { sampleSize: 3 } : {}),
            }
          : { seed: 3 };
      const sampler = createSampler(
        name,
        name.startsWith('tpe') ? { ...settings, nStartupTrials: 5 } : settings,
      );
      const study = await Study.create(
        { storage: new InMemoryStudyStorage(), sampler, space },
        { name: 'cond' },
      );
      for (let i = 0; i < 30; i++) {
        const trial = await study.askFromSpace();
        const p = trial.params;
        const expected = space.params
          .filter((sp) => isActive(sp, p))
          .map((sp) => sp.name)
          .sort();
        assert.deepEqual(Object.keys(p).sort(), expected);
        assert.equal('momentum' in p, p.optimizer === 'sgd');
        assert.equal('beta1' in p, p.optimizer === 'adam');
        assert.equal('units3' in p, (p.layers as number) >= 3);
        await study.tell(
          trial,
          (Math.log10(p.lr as number) + 2) ** 2 + ((p.momentum as number | undefined) ?? 0),
        );
      }
      const stored = await study.trials();
      for (const t of stored) assert.equal('momentum' in t.params, t.params.optimizer === 'sgd');
    });
  }
});

describe('askFromSpace with a hard constraint (rejection before a trial exists)', () => {
  const space = parseSearchSpace(CONDITIONAL);
  const settingsOf = (name: string): Record<string, unknown> => {
    const seed = { seed: 5 };
    if (name === 'nsga2') return { ...seed, populationSize: 6 };
    if (name === 'regularized-evolution') return { ...seed, populationSize: 6, sampleSize: 3 };
    return name.startsWith('tpe') ? { ...seed, nStartupTrials: 5 } : seed;
  };
  const objective = (p: Readonly<Record<string, unknown>>) =>
    (Math.log10(p.lr as number) + 2) ** 2 + (p.layers as number);

  for (const name of SAMPLER_NAMES) {
    test(`${name}: a reject that accepts everything draws exactly what a plain ask draws`, async () => {
      const run = async (withReject: boolean) => {
        const study = await Study.create(
          {
            storage: new InMemoryStudyStorage(),
            sampler: createSampler(name, settingsOf(name)),
            space,
          },
          { name: 'same' },
        );
        const out: unknown[] = [];
        for (let i = 0; i < 12; i++) {
          const t = await study.askFromSpace(space, withReject ? { reject: () => undefined } : {});
          out.push({ ...t.params });
          await study.tell(t, objective(t.params));
        }
        return out;
      };
      assert.deepEqual(await run(true), await run(false));
    });
  }

  test('refused configurations never become trials: numbers stay consecutive, the count is kept', async () => {
    const study = await Study.create(
      { storage: new InMemoryStudyStorage(), sampler: createSampler('random', { seed: 1 }), space },
      { name: 'constrained' },
    );
    const reject = (p: Readonly<Record<string, unknown>>) =>
      (p.layers as number) > 2 ? 'layers > 2' : undefined;
    for (let i = 0; i < 20; i++) {
      const t = await study.askFromSpace(space, { reject });
      await study.tell(t, objective(t.params));
    }
    const trials = await study.trials();
    assert.deepEqual(
      trials.map((t) => t.number),
      [...Array(20).keys()],
    );
    for (const t of trials) assert.ok((t.params.layers as number) <= 2, `trial ${t.number}`);
    // Uniform layers in 1..4: about half the draws are refused, and each refusal is counted.
    const rejected = trials.reduce(
      (n, t) => n + ((t.systemAttrs.rejected_draws as number) ?? 0),
      0,
    );
    assert.ok(rejected >= 5, `${rejected} rejected draws`);
  });

  test('a constraint nothing meets fails the trial with an UnprocessableError naming it', async () => {
    const study = await Study.create(
      { storage: new InMemoryStudyStorage(), sampler: createSampler('random', { seed: 1 }), space },
      { name: 'impossible' },
    );
    await assert.rejects(
      study.askFromSpace(space, { reject: () => 'layers > 0', maxDraws: 10 }),
      (e: unknown) => e instanceof UnprocessableError && /layers > 0 \(10x\)/.test(e.message),
    );
    const [t] = await study.trials();
    assert.equal(t.state, 'failed');
    assert.match(String(t.userAttrs.error), /no configuration met the constraints in 10 draws/);
  });
});
