import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError } from '../../../platform/errors/domain-error';
import { StudyConfigInput, constraintValues, validateStudyConfig } from './validate-study';

function fields(config: StudyConfigInput): string[] {
  try {
    validateStudyConfig(config);
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    return e.problems.map((p) => p.field).sort();
  }
  return [];
}

describe('validateStudyConfig', () => {
  test('a valid multi-objective config is normalised with named defaults', () => {
    const v = validateStudyConfig({
      space: { lr: { type: 'float', low: 1e-4, high: 1, log: true } },
      directions: ['minimize', 'maximize'],
      metrics: ['loss', 'accuracy'],
      constraints: [{ metric: 'latency_ms', max: 20 }],
      sampler: { name: 'nsga2', settings: { populationSize: 20 } },
      pruner: { name: 'median', settings: { objective: 'pareto' } },
    });
    assert.deepEqual(v.directions, ['minimize', 'maximize']);
    assert.equal(v.sampler.name, 'nsga2');
    assert.equal(v.space?.params[0].name, 'lr');
    assert.deepEqual(validateStudyConfig({}).sampler, { name: 'auto', settings: {} });
    assert.deepEqual(validateStudyConfig({}).metrics, ['value']);
  });

  test("every problem is collected with its field path (shapes are the service schema's)", () => {
    assert.deepEqual(
      fields({
        space: { lr: { type: 'float', low: 0, high: 1, log: true } },
        directions: ['minimize', 'maximize'],
        metrics: ['loss'],
        constraints: [{ metric: 'x' }],
        sampler: { name: 'tpe', settings: { nStartupTrials: -2 } },
        pruner: { name: 'asha', settings: { reductionFactor: 1 } },
      }),
      [
        'constraints[0]',
        'metrics',
        'pruner.settings.reductionFactor',
        'sampler.settings.nStartupTrials',
        'space.lr.low',
      ],
    );
  });

  test('algorithm fit: cmaes is single-objective, grid needs a space, pruner objective index in range', () => {
    assert.deepEqual(fields({ directions: ['minimize', 'minimize'], sampler: 'cmaes' }), [
      'sampler.name',
    ]);
    assert.deepEqual(fields({ sampler: 'grid' }), ['space']);
    assert.deepEqual(fields({ pruner: { name: 'median', settings: { objective: 1 } } }), [
      'pruner.settings.objective',
    ]);
    assert.deepEqual(fields({ sampler: 'bayesopt' }), ['sampler.name']);
  });

  test('constraint values: metric - max and min - metric, feasible when <= 0; missing metric is NaN', () => {
    const c = [
      { metric: 'latency', max: 20 },
      { metric: 'acc', min: 0.9 },
    ];
    assert.deepEqual(constraintValues(c, { latency: 25, acc: 0.95 }), [5, 0.9 - 0.95]);
    assert.ok(Number.isNaN(constraintValues(c, { acc: 1 })[0]));
  });
});
