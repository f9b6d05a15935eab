import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../../platform/core/rng';
import { InMemoryStudyStorage } from '../memory-storage';
import { parseSearchSpace } from '../space';
import { Study } from '../study';
import { Cma, CmaEsSampler, jacobiEigen } from './cmaes';
import { GridSampler } from './grid';
import { Nsga2Sampler } from './nsga2';
import { QmcSampler } from './qmc';
import { RegularizedEvolutionSampler } from './regularized-evolution';
import { Sampler } from '../sampler';

const newStudy = (
  sampler: Sampler,
  spaceJson?: unknown,
  directions: ('minimize' | 'maximize')[] = ['minimize'],
) =>
  Study.create(
    {
      storage: new InMemoryStudyStorage(),
      sampler,
      space: spaceJson ? parseSearchSpace(spaceJson) : undefined,
    },
    { name: 'x', directions },
  );

describe('GridSampler', () => {
  test('visits each of the 3 x 4 x 2 = 24 cells exactly once, then starts over', async () => {
    const space = {
      a: { type: 'categorical', choices: ['p', 'q', 'r'] },
      b: { type: 'int', low: 0, high: 6, step: 2 },
      c: { type: 'float', low: 1, high: 100, log: true },
    };
    const sampler = new GridSampler({ seed: 3, pointsPerParam: 2 });
    const study = await newStudy(sampler, space);
    assert.equal(sampler.gridSize(parseSearchSpace(space)), 24);
    const seen = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const t = await study.askFromSpace();
      seen.add(JSON.stringify(t.params));
      await study.tell(t, 0);
    }
    assert.equal(seen.size, 24);
    assert.deepEqual(
      [...new Set([...seen].map((s) => JSON.parse(s).c))].sort((x, y) => x - y),
      [1, 100],
    );
    const again = await study.askFromSpace();
    assert.ok(seen.has(JSON.stringify(again.params)));
  });
});

describe('QmcSampler (Halton)', () => {
  test('unscrambled points are the radical inverses in bases 2 and 3 (Halton 1960)', () => {
    const q = new QmcSampler({ scramble: false });
    assert.deepEqual(q.point(1, 2), [0.5, 1 / 3]);
    assert.deepEqual(q.point(2, 2), [0.25, 2 / 3]);
    assert.deepEqual(q.point(3, 2), [0.75, 1 / 9]);
  });

  test('scrambled points stay stratified: each of the first 8 points falls in its own eighth (base 2)', () => {
    const q = new QmcSampler({ seed: 11 });
    const cells = new Set(Array.from({ length: 8 }, (_, i) => Math.floor(q.point(i, 1)[0] * 8)));
    assert.equal(cells.size, 8);
  });
});

describe('CMA-ES', () => {
  test('Jacobi eigen-decomposition of [[2,1],[1,2]] gives eigenvalues 1 and 3', () => {
    const { values, vectors } = jacobiEigen([
      [2, 1],
      [1, 2],
    ]);
    assert.deepEqual(values.map((v) => Math.round(v * 1e12) / 1e12).sort(), [1, 3]);
    const v = [vectors[0][0], vectors[1][0]];
    const Av = [2 * v[0] + v[1], v[0] + 2 * v[1]];
    assert.ok(
      Math.abs(Av[0] - values[0] * v[0]) < 1e-12 && Math.abs(Av[1] - values[0] * v[1]) < 1e-12,
    );
  });

  test('the core strategy converges on a shifted sphere in 5-D (Hansen 2016 defaults)', () => {
    const rng = new Rng(4);
    const es = new Cma([0.5, 0.5, 0.5, 0.5, 0.5], 1 / 6, 8);
    const f = (x: number[]) => x.reduce((s, v) => s + (v - 0.3) ** 2, 0);
    for (let g = 0; g < 150; g++) {
      const pop = Array.from({ length: 8 }, () => es.ask(rng));
      pop.sort((a, b) => f(a) - f(b));
      es.tell(pop, f(pop[0]));
    }
    assert.ok(f(es.ask(rng)) < 1e-8);
  });

  test('state is rebuilt from history: a fresh sampler instance continues the same generation', async () => {
    const space = {
      x: { type: 'float', low: -3, high: 3 },
      y: { type: 'float', low: -3, high: 3 },
    };
    const study = await newStudy(new CmaEsSampler({ seed: 2 }), space);
    for (let i = 0; i < 40; i++) {
      const t = await study.askFromSpace();
      await study.tell(t, (t.params.x as number) ** 2 + (t.params.y as number) ** 2);
    }
    const view = await study.view();
    const trial = (await study.trials())[0];
    const a = new CmaEsSampler({ seed: 9 }).sampleRelative(view, trial);
    const b = new CmaEsSampler({ seed: 9 }).sampleRelative(view, trial);
    assert.deepEqual(a, b);
    // lambda = 4 + floor(3 ln 2) = 6; 40 complete trials = 6 full generations.
    assert.equal(a.systemAttrs?.['cma:generation'], 6);
  });
});

describe('CMA-ES IPOP restarts (Auger & Hansen 2005)', () => {
  test('a flat objective trips TolFun after 10 + ceil(30 n / lambda) generations and restarts with 2x population', async () => {
    // n = 2, lambda = 6: TolFun window = 10 + ceil(60 / 6) = 20 generations = 120 trials.
    const space = { x: { type: 'float', low: 0, high: 1 }, y: { type: 'float', low: 0, high: 1 } };
    const run = async (restartStrategy: string) => {
      const study = await newStudy(new CmaEsSampler({ seed: 1, restartStrategy }), space);
      for (let i = 0; i < 140; i++) await study.tell(await study.askFromSpace(), 1);
      return study.trials();
    };
    const ipop = await run('ipop');
    const firstRestart = ipop.findIndex((t) => t.systemAttrs['cma:restart'] === 1);
    assert.equal(firstRestart, 120);
    // The restarted run's generation 0 holds lambda = 12 trials.
    const gen0 = ipop.filter(
      (t) => t.systemAttrs['cma:restart'] === 1 && t.systemAttrs['cma:generation'] === 0,
    );
    assert.equal(gen0.length, 12);
    assert.ok((await run('none')).every((t) => t.systemAttrs['cma:restart'] === 0));
  });
});

describe('RegularizedEvolutionSampler (Real et al. 2019)', () => {
  test('after the population fills, each child differs from its tournament parent in exactly one parameter', async () => {
    const space = {
      op1: { type: 'categorical', choices: ['conv3', 'conv5', 'pool', 'id'] },
      op2: { type: 'categorical', choices: ['conv3', 'conv5', 'pool', 'id'] },
      width: { type: 'int', low: 8, high: 64, step: 8 },
      drop: { type: 'float', low: 0, high: 0.5 },
    };
    const study = await newStudy(
      new RegularizedEvolutionSampler({ seed: 1, populationSize: 10, sampleSize: 4 }),
      space,
    );
    const score = (p: Record<string, unknown>) =>
      (p.op1 === 'conv3' ? 0 : 1) +
      (p.op2 === 'pool' ? 0 : 1) +
      Math.abs((p.width as number) - 32) / 32 +
      (p.drop as number);
    for (let i = 0; i < 60; i++) {
      const t = await study.askFromSpace();
      await study.tell(t, score(t.params));
    }
    const trials = await study.trials();
    for (const t of trials.slice(10)) {
      const parent = trials[t.systemAttrs['evolution:parent'] as number];
      const diffs = Object.keys(t.params).filter((k) => t.params[k] !== parent.params[k]);
      assert.equal(diffs.length, 1, `trial ${t.number} vs parent ${parent.number}`);
      // Aging: the parent is one of the 10 most recently finished trials when the child was asked.
      assert.ok(parent.number >= t.number - 10 && parent.number < t.number);
    }
    const firstGen = Math.min(...trials.slice(0, 10).map((t) => t.values?.[0] as number));
    assert.ok(((await study.bestTrial())?.values as number[])[0] < firstGen);
  });
});

describe('Nsga2Sampler (Deb 2002)', () => {
  test('generations advance every populationSize complete trials; constrained domination prefers feasible children', async () => {
    const study = await newStudy(
      new Nsga2Sampler({ seed: 4, populationSize: 8 }),
      { x: { type: 'float', low: 0, high: 1 }, y: { type: 'float', low: 0, high: 1 } },
      ['minimize', 'minimize'],
    );
    for (let i = 0; i < 80; i++) {
      const t = await study.askFromSpace();
      const x = t.params.x as number;
      const y = t.params.y as number;
      // Feasible only when x >= 0.5 (constraint 0.5 - x <= 0).
      await study.tell(t, { values: [x, 1 - x + y], constraints: [0.5 - x] });
    }
    const trials = await study.trials();
    assert.deepEqual(
      trials.map((t) => t.systemAttrs['nsga2:generation']),
      Array.from({ length: 80 }, (_, i) => Math.floor(i / 8)),
    );
    const feasibleShare = (from: number, to: number) =>
      trials.slice(from, to).filter((t) => (t.constraints as number[])[0] <= 0).length /
      (to - from);
    assert.ok(feasibleShare(64, 80) > 0.8, `late feasible share ${feasibleShare(64, 80)}`);
    assert.ok(feasibleShare(64, 80) > feasibleShare(0, 8));
  });
});
