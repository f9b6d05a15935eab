import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import densitiesJson from '../../../../test/fixtures/search/optuna5-tpe-densities.json';
import {
  CategoricalChoice,
  Distribution,
  ParamValue,
  categoricalDistribution,
  floatDistribution,
  intDistribution,
} from '../distributions';
import { StudyView } from '../study-view';
import { Direction, FrozenTrial, TrialState } from '../trial';
import { TpeSampler } from './tpe';

/**
 * Reference: Optuna 5.0's TPESampler. test/fixtures/search/optuna5-tpe-densities.json holds, for
 * fixed histories, the below/above split and log l(x) - log g(x) over grids of candidates as
 * Optuna computes them (written once by bench/search/optuna_tpe_fixture.py). Our sampler gets the
 * same history and must build the same densities.
 */
interface FixtureTrial {
  state: 'complete' | 'pruned' | 'running' | 'fail';
  params: Record<string, ParamValue>;
  value: number | null;
  intermediate: [number, number | null][];
  constraints: number[] | null;
}

interface Scenario {
  name: string;
  direction: Direction;
  settings: { multivariate: boolean; constantLiar: boolean };
  space: Record<
    string,
    {
      type: 'float' | 'int' | 'categorical';
      low: number;
      high: number;
      log: boolean;
      step?: number;
      choices: CategoricalChoice[];
    }
  >;
  trials: FixtureTrial[];
  below: number[];
  above: number[];
  grids: { space: string[]; points: Record<string, number[]>; logRatio: number[] }[];
}

const fixture = densitiesJson as unknown as { optuna: string; scenarios: Scenario[] };

function distribution(spec: Scenario['space'][string]): Distribution {
  if (spec.type === 'categorical') return categoricalDistribution(spec.choices);
  if (spec.type === 'int')
    return intDistribution(spec.low, spec.high, { log: spec.log, step: spec.step });
  return floatDistribution(spec.low, spec.high, { log: spec.log, step: spec.step });
}

function view(s: Scenario): { view: StudyView; current: FrozenTrial } {
  const dists = Object.fromEntries(Object.entries(s.space).map(([k, v]) => [k, distribution(v)]));
  const trials: FrozenTrial[] = s.trials.map((t, number) => ({
    number,
    state: (t.state === 'fail' ? 'failed' : t.state) as TrialState,
    params: t.params,
    distributions: dists,
    values: t.value === null ? undefined : [t.value],
    constraints: t.constraints ?? undefined,
    intermediate: t.intermediate.map(([step, v]) => ({ step, values: [v ?? NaN] })),
    userAttrs: {},
    systemAttrs: {},
    startedAt: 0,
  }));
  // Optuna's ask() has created the trial being sampled: it is running, with no parameters yet.
  const current: FrozenTrial = {
    number: trials.length,
    state: 'running',
    params: {},
    distributions: {},
    intermediate: [],
    userAttrs: {},
    systemAttrs: {},
    startedAt: 0,
  };
  return {
    view: {
      studyId: 's',
      studyName: s.name,
      directions: [s.direction],
      trials: [...trials, current],
    },
    current,
  };
}

describe(`TPE densities equal Optuna ${fixture.optuna}'s on the same history`, () => {
  for (const s of fixture.scenarios) {
    test(s.name, () => {
      const { view: v, current } = view(s);
      const sampler = new TpeSampler({ ...s.settings, seed: 0 });
      const split = sampler.split(v, current);
      assert.deepEqual(
        split.below.map((t) => t.number),
        s.below,
        'below',
      );
      assert.deepEqual(
        split.above.map((t) => t.number),
        s.above,
        'above',
      );
      for (const g of s.grids) {
        const space = Object.fromEntries(g.space.map((k) => [k, distribution(s.space[k])]));
        const ours = sampler.logLikelihoodRatio(v, current, space, g.points);
        assert.equal(ours.length, g.logRatio.length);
        ours.forEach((x, j) => {
          const ref = g.logRatio[j];
          assert.ok(
            Math.abs(x - ref) <= 1e-11 * Math.max(1, Math.abs(ref)),
            `${g.space.join(',')} at ${g.space.map((k) => g.points[k][j]).join(',')}: ours ${x}, Optuna ${ref}`,
          );
        });
      }
    });
  }

  test('the fixture covers every parameter type, pruned/running/failed trials and constraints', () => {
    const types = new Set(
      fixture.scenarios.flatMap((s) =>
        Object.values(s.space).map(
          (d) => `${d.type}${d.log ? '-log' : ''}${d.step && d.step !== 1 ? '-step' : ''}`,
        ),
      ),
    );
    for (const t of [
      'float',
      'float-log',
      'float-step',
      'int',
      'int-step',
      'int-log',
      'categorical',
    ])
      assert.ok(types.has(t), t);
    const states = new Set(fixture.scenarios.flatMap((s) => s.trials.map((t) => t.state)));
    for (const st of ['complete', 'pruned', 'running', 'fail'])
      assert.ok(states.has(st as never), st);
    assert.ok(fixture.scenarios.some((s) => s.trials.some((t) => (t.constraints?.[0] ?? 0) > 0)));
  });
});
