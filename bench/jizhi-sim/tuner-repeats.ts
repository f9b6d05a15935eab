/**
 * Repeated proposals: how many configurations TPE proposes to try `budget` distinct ones on the
 * 3600-config space of bench/jizhi-sim/tuner.ts (repeats are told their known result and cost no
 * trial or simulation since issue 17; before, each repeat spent a trial of the budget).
 * Usage: node -r @swc-node/register bench/jizhi-sim/tuner-repeats.ts [--budget 200] [--seeds 3]
 */
import { tuneSpec } from '../../src/jizhi-sim/sim-specs.schema';
import { tune } from '../../src/jizhi-sim/core/tune/tuner';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const budget = arg('budget', 200);
const samplerSeeds = arg('seeds', 3);

const stage = (id: string, price: number, extra: object) => ({
  id,
  instances: 8,
  pricePerHour: price,
  ...extra,
});
const base = {
  pipeline: {
    stages: [
      stage('fetch', 0.2, {
        service: { dist: 'lognormal', fixedMs: 3, cv: 0.6 },
        cache: { model: 'lru', capacity: 1000, keys: 50000, zipfS: 0.9 },
        next: ['embed'],
      }),
      stage('embed', 0.5, { service: { dist: 'exponential', fixedMs: 2 }, next: ['dnn'] }),
      stage('dnn', 2.5, {
        batch: { maxSize: 1, maxDelayMs: 2 },
        service: { dist: 'lognormal', fixedMs: 6, perItemMs: 0.8, cv: 0.3 },
      }),
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
  durationS: 10,
  warmupS: 1,
};

(async () => {
  console.log(`TPE, budget ${budget} distinct configurations, 2 simulation seeds per config\n`);
  console.log(
    '| sampler seed | trials (distinct) | proposals | repeats skipped | simulations | best cost |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  for (let s = 1; s <= samplerSeeds; s++) {
    const r = await tune(
      tuneSpec.parse({ ...base, sampler: 'tpe', samplerSeed: s, budget: { trials: budget } }, ''),
    );
    console.log(
      `| ${s} | ${r.trials} | ${r.proposals} | ${r.proposals - r.trials} | ${r.simulations} | ${r.best?.cost ?? 'none'} |`,
    );
  }
})();
