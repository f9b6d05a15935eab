import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../platform/errors/domain-error';
import { tuneSpec } from '../../sim-specs.schema';
import { tune } from './tuner';

const base = {
  pipeline: {
    stages: [
      {
        id: 'fetch',
        instances: 6,
        pricePerHour: 1,
        service: { dist: 'exponential', fixedMs: 4 },
        next: ['dnn'],
      },
      {
        id: 'dnn',
        instances: 6,
        pricePerHour: 3,
        batch: { maxSize: 1, maxDelayMs: 2 },
        service: { dist: 'lognormal', fixedMs: 8, perItemMs: 1, cv: 0.3 },
      },
    ],
  },
  traffic: { model: 'poisson', rateRps: 600 },
  slo: { p99Ms: 40 },
  space: [
    { stage: 'fetch', param: 'instances', low: 1, high: 8 },
    { stage: 'dnn', param: 'instances', low: 1, high: 8 },
    { stage: 'dnn', param: 'batch.maxSize', values: [1, 2, 4, 8, 16] },
  ],
  seeds: 2,
  durationS: 20,
  warmupS: 2,
};

/** A tune request as POST /v1/tunings takes it: the job schema, then the tuner's checks. */
const readTuneSpec = (raw: unknown) => tuneSpec.parse(raw, '');

describe('autotuner', () => {
  test('TPE finds the exhaustive optimum of an 8 x 8 x 5 space with far fewer simulations', async () => {
    // Reference: exhaustive search (grid over all 320 cells) on the same simulation seeds.
    const exhaustive = await tune(
      readTuneSpec({ ...base, sampler: 'grid', budget: { trials: 320 } }),
    );
    assert.ok(exhaustive.best);
    const optimum = exhaustive.best.cost;
    const needed: number[] = [];
    for (const samplerSeed of [0, 1, 2]) {
      const r = await tune(
        readTuneSpec({ ...base, sampler: 'tpe', samplerSeed, budget: { trials: 80 } }),
      );
      const hit = r.history.find((h) => h.feasible && h.cost <= optimum);
      needed.push(hit ? hit.simulations : Infinity);
      // Never better than the exhaustive optimum: both use the same evaluator.
      assert.ok(r.best === null || r.best.cost >= optimum);
    }
    needed.sort((a, b) => a - b);
    assert.ok(
      needed[1] < exhaustive.simulations / 3,
      `median simulations ${needed[1]} vs exhaustive ${exhaustive.simulations}`,
    );
    // The current config (6 + 6 instances, no batching) costs 24; the optimum saves against it.
    assert.equal(exhaustive.current.cost, 24);
    assert.ok((exhaustive.savingVsCurrent ?? 0) > 0.3);
  });

  test('pareto mode (NSGA-II by default) returns a front that is non-dominated and sorted by cost', async () => {
    const spec = readTuneSpec({
      ...base,
      objective: 'pareto',
      samplerOptions: { populationSize: 10 },
      budget: { trials: 40 },
    });
    assert.equal(spec.sampler, 'nsga2');
    const r = await tune(spec);
    assert.ok(r.paretoFront.length >= 2);
    for (let i = 1; i < r.paretoFront.length; i++) {
      assert.ok(r.paretoFront[i].cost > r.paretoFront[i - 1].cost);
      assert.ok(r.paretoFront[i].p99Ms < r.paretoFront[i - 1].p99Ms);
    }
    // Definition of Pareto optimality: no evaluated candidate dominates a front member.
    const candidates = r.history.filter((h) => !h.unstable && h.dropRate <= 0.001);
    for (const f of r.paretoFront) {
      const dominated = candidates.some(
        (h) => h.cost <= f.cost && h.p99Ms <= f.p99Ms && (h.cost < f.cost || h.p99Ms < f.p99Ms),
      );
      assert.ok(!dominated, `front member ${JSON.stringify(f.params)} is dominated`);
    }
  });

  test('bad spaces are rejected with field paths before any simulation', () => {
    const fields = (spec: unknown): string[] => {
      try {
        readTuneSpec(spec);
      } catch (e) {
        assert.ok(e instanceof ValidationError);
        return e.problems.map((p) => p.field);
      }
      return [];
    };
    assert.deepEqual(
      fields({
        ...base,
        budget: { trials: 5 },
        space: [{ stage: 'nope', param: 'instances', low: 1, high: 2 }],
      }),
      ['space[0].stage'],
    );
    assert.deepEqual(
      fields({
        ...base,
        budget: { trials: 5 },
        space: [{ stage: 'dnn', param: 'cache.capacity', low: 1, high: 2 }],
      }),
      ['space[0].param'],
    );
    assert.deepEqual(fields({ ...base, budget: { trials: 0 } }), ['budget.trials']);
    assert.deepEqual(
      fields({ ...base, budget: { trials: 5 }, samplerOptions: { nStartupTrials: -1 } }),
      ['samplerOptions.nStartupTrials'],
    );
  });
});
