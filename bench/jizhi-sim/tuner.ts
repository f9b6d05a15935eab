/**
 * Simulations a sampler needs to reach a configuration within 2% of the exhaustive optimum's cost
 * (TPE, multivariate TPE and NSGA-II vs random and grid), median over sampler seeds, on one fixed evaluator (same simulation seeds).
 * Usage: node -r @swc-node/register bench/jizhi-sim/tuner.ts [--quick]
 */
import { tuneSpec } from '../../src/jizhi-sim/sim-specs.schema';

/** The spec as POST /v1/tunings stores it (schema defaults, the tuner's checks). */
const readTuneSpec = (raw: unknown) => tuneSpec.parse(raw, '');
import { ConfigEvaluator, tune } from '../../src/jizhi-sim/core/tune/tuner';

const quick = process.argv.includes('--quick');
const samplerSeeds = quick ? 5 : 11;
const budget = 200;

const base = {
  pipeline: {
    stages: [
      {
        id: 'fetch',
        instances: 8,
        pricePerHour: 0.2,
        service: { dist: 'lognormal', fixedMs: 3, cv: 0.6 },
        cache: { model: 'lru', capacity: 1000, keys: 50000, zipfS: 0.9 },
        next: ['embed'],
      },
      {
        id: 'embed',
        instances: 8,
        pricePerHour: 0.5,
        service: { dist: 'exponential', fixedMs: 2 },
        next: ['dnn'],
      },
      {
        id: 'dnn',
        instances: 8,
        pricePerHour: 2.5,
        batch: { maxSize: 1, maxDelayMs: 2 },
        service: { dist: 'lognormal', fixedMs: 6, perItemMs: 0.8, cv: 0.3 },
      },
    ],
  },
  traffic: { model: 'poisson', rateRps: 800 },
  slo: { p99Ms: 45, maxDropRate: 0.001 },
  space: [
    { stage: 'fetch', param: 'instances', low: 1, high: 6 },
    { stage: 'fetch', param: 'cache.capacity', values: [0, 1000, 4000, 16000] },
    { stage: 'embed', param: 'instances', low: 1, high: 5 },
    { stage: 'dnn', param: 'instances', low: 1, high: 6 },
    { stage: 'dnn', param: 'batch.maxSize', values: [1, 2, 4, 8, 16] },
  ],
  seeds: 2,
  durationS: quick ? 10 : 20,
  warmupS: 1,
};
const cells = 6 * 4 * 5 * 6 * 5;

function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

(async () => {
  const t0 = Date.now();
  // Exhaustive reference: every cell through the same evaluator the samplers use.
  const spec = readTuneSpec({ ...base, budget: { trials: 1 } });
  const evaluator = new ConfigEvaluator(spec);
  let best: ReturnType<ConfigEvaluator['evaluate']> | undefined;
  const axes = spec.space.map((e) => ({
    key: `${e.stage}.${e.param}`,
    values: e.values ?? range(e.low as number, e.high as number),
  }));
  for (let cell = 0; cell < cells; cell++) {
    const params: Record<string, number> = {};
    let rest = cell;
    for (const a of axes) {
      params[a.key] = a.values[rest % a.values.length];
      rest = Math.floor(rest / a.values.length);
    }
    const ev = evaluator.evaluate(params);
    if (ev.feasible && (!best || ev.cost < best.cost)) best = ev;
  }
  const exhaustive = { simulations: evaluator.simulations, best };
  const optimum = best?.cost ?? NaN;
  const exSecs = (Date.now() - t0) / 1000;
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `space: ${cells} configs; exhaustive: ${exhaustive.simulations} simulations (${exSecs.toFixed(0)} s), optimum cost ${optimum}/h ${JSON.stringify(exhaustive.best?.params)}`,
  );
  console.log(
    `budget ${budget} trials per run, ${samplerSeeds} sampler seeds, ${base.seeds} simulation seeds per config\n`,
  );
  console.log(
    '| sampler | median simulations to within 2% | runs that got there | median best cost found |',
  );
  console.log('| --- | ---: | ---: | ---: |');
  const variants = [
    { label: 'tpe', sampler: 'tpe', samplerOptions: {} },
    { label: 'tpe-multivariate', sampler: 'tpe-multivariate', samplerOptions: {} },
    { label: 'nsga2 (population 20)', sampler: 'nsga2', samplerOptions: { populationSize: 20 } },
    { label: 'random', sampler: 'random', samplerOptions: {} },
    { label: 'grid (shuffled)', sampler: 'grid', samplerOptions: {} },
  ] as const;
  for (const v of variants) {
    const needed: number[] = [];
    const bests: number[] = [];
    for (let s = 0; s < samplerSeeds; s++) {
      const r = await tune(
        readTuneSpec({
          ...base,
          sampler: v.sampler,
          samplerOptions: v.samplerOptions,
          samplerSeed: s + 1,
          budget: { trials: budget },
        }),
      );
      const hit = r.history.find((h) => h.feasible && h.cost <= optimum * 1.02);
      needed.push(hit ? hit.simulations : Infinity);
      bests.push(r.best?.cost ?? Infinity);
    }
    const reached = needed.filter(Number.isFinite).length;
    const med = median(needed);
    console.log(
      `| ${v.label} | ${Number.isFinite(med) ? med : 'not reached'} | ${reached}/${samplerSeeds} | ${median(bests)} |`,
    );
  }
})();
