import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError } from '../platform/errors/domain-error';
import { PRUNERS } from './core/pruners/pruner-registry';
import { SAMPLERS } from './core/samplers/sampler-registry';
import { describeSettings } from './core/settings';
import { parseStudyRequest, studyBody } from './study.schema';

const SPACE = { x: { type: 'float', low: -5, high: 5 } };

function fields(body: object): string[] {
  try {
    parseStudyRequest(body);
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    return e.problems.map((p) => p.field).sort();
  }
  return [];
}

describe('the study request schema', () => {
  test('defaults are resolved once: sampler, pruner, budget, runner and every algorithm setting', () => {
    const { name, config } = parseStudyRequest({ name: 's', space: SPACE });
    assert.equal(name, 's');
    assert.equal(config.sampler.name, 'auto');
    // The seed is left to withSeed (a random one per study), every other setting is stored.
    assert.deepEqual(config.sampler.settings, {
      gpMaxTrials: 200,
      gpCheckTrials: 20,
      gpMinLooGain: 0.5,
    });
    assert.deepEqual(config.pruner, { name: 'nop', settings: {} });
    assert.deepEqual(config.budget, { nTrials: null, timeoutS: null, parallelism: 1 });
    assert.deepEqual(config.runner, { type: 'external' });
    const command = parseStudyRequest({
      name: 's',
      space: SPACE,
      seed: 7,
      sampler: { name: 'tpe', settings: { nStartupTrials: 3 } },
      runner: { type: 'command', command: ['python', 't.py'] },
    }).config;
    assert.equal(command.budget.nTrials, 20, 'a command runner gets the default budget');
    assert.equal(command.sampler.settings.seed, 7);
    assert.equal(command.sampler.settings.nStartupTrials, 3);
    assert.equal(command.sampler.settings.gamma, 0.1);
  });

  test('shapes, settings, the space and the runner: every problem named in one answer', () => {
    assert.deepEqual(
      fields({
        name: 'v',
        space: { lr: { type: 'float', low: 0, high: 1, log: true } },
        directions: ['minimize', 'up'],
        constraints: [{ metric: 'latency', max: 'x' }],
        sampler: { name: 'tpe', settings: { nStartupTrials: -1, colour: 1 } },
        pruner: { name: 'warp' },
        runner: { type: 'command', command: [] },
        x: 1,
      }),
      [
        'constraints[0].max',
        'directions[1]',
        'pruner.name',
        'runner.command',
        'sampler.settings.colour',
        'sampler.settings.nStartupTrials',
        'space.lr.low',
        'x',
      ],
    );
    assert.deepEqual(
      fields({
        name: 'v',
        space: SPACE,
        seed: 1,
        sampler: { name: 'random', settings: { seed: 2 } },
      }),
      ['seed'],
    );
    assert.deepEqual(
      fields({
        name: 'v',
        space: SPACE,
        directions: ['minimize', 'maximize'],
        sampler: { name: 'cmaes' },
      }),
      ['sampler.name'],
    );
    assert.deepEqual(
      fields({ name: 'v', space: SPACE, runner: { type: 'command', command: [''] } }),
      ['runner.command[0]'],
    );
  });

  test('runner env names are shell variable names (the key rule is checked, not only typed)', () => {
    const runner = (env: object) => ({ type: 'command', command: ['python'], env });
    assert.deepEqual(fields({ name: 'v', space: SPACE, runner: runner({ '1X': 'a' }) }), [
      'runner.env',
    ]);
    assert.deepEqual(fields({ name: 'v', space: SPACE, runner: runner({ X: 1 }) }), [
      'runner.env.X',
    ]);
    assert.deepEqual(fields({ name: 'v', space: SPACE, runner: runner({ LR_1: 'a' }) }), []);
  });

  test('an unknown algorithm is refused naming the known ones', () => {
    try {
      parseStudyRequest({ name: 'v', space: SPACE, sampler: { name: 'bayesopt' } });
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof ValidationError);
      assert.equal(e.problems[0].field, 'sampler.name');
      assert.match(e.problems[0].message, /must be one of random, grid, .*auto, got "bayesopt"/);
    }
  });

  test('each setting has one rule: the schema is generated from the constructor, and both refuse the same values', () => {
    for (const [kind, registry] of [
      ['sampler', SAMPLERS],
      ['pruner', PRUNERS],
    ] as const) {
      for (const [name, Ctor] of Object.entries(registry)) {
        for (const d of describeSettings(() => new Ctor({}))) {
          if (d.kind !== 'int' && d.kind !== 'number') continue;
          const below =
            d.min === undefined ? undefined : d.kind === 'int' ? d.min - 1 : d.min - 0.5;
          for (const value of [below, d.max === undefined ? undefined : d.max + 1]) {
            if (value === undefined) continue;
            const settings: Record<string, number> = { [d.key]: value };
            assert.throws(() => new Ctor(settings), ValidationError, `${name}.${d.key}=${value}`);
            assert.deepEqual(
              fields({ name: 'v', space: SPACE, [kind]: { name, settings } }),
              [`${kind}.settings.${d.key}`],
              `${name}.${d.key}=${value}`,
            );
          }
        }
      }
    }
  });

  test('the OpenAPI body lists every sampler and pruner by name with its settings', () => {
    const doc = studyBody.openApi() as {
      properties: Record<
        string,
        { oneOf?: { properties: { name: { enum: string[] }; settings: { properties: object } } }[] }
      >;
    };
    const names = (k: string) => doc.properties[k].oneOf?.map((b) => b.properties.name.enum[0]);
    assert.deepEqual(names('sampler'), Object.keys(SAMPLERS));
    assert.deepEqual(names('pruner'), Object.keys(PRUNERS));
    const tpe = doc.properties.sampler.oneOf?.find((b) => b.properties.name.enum[0] === 'tpe');
    assert.ok(tpe && 'nStartupTrials' in tpe.properties.settings.properties);
    assert.ok(!JSON.stringify(doc).includes('discriminator'));
  });
});
