/**
 * Simulated stage visits per second of wall time: a 5-stage recommender-like pipeline with a
 * cache, a fork/join and dynamic batching, next to a single M/M/1 stage as the kernel's floor.
 * Usage: node -r @swc-node/register bench/jizhi-sim/throughput.ts [--quick]
 */
import { simulate } from '../../src/jizhi-sim/core/prepare-simulation';
import type { PipelineSpec } from '../../src/jizhi-sim/core/pipeline';

const quick = process.argv.includes('--quick');
const durationS = quick ? 200 : 1000;
const rateRps = 5000;

const fivePipeline: PipelineSpec = {
  stages: [
    {
      id: 'ingress',
      instances: 4,
      service: { dist: 'exponential', fixedMs: 0.5 },
      next: ['features', 'user'],
    },
    {
      id: 'features',
      instances: 8,
      service: { dist: 'lognormal', fixedMs: 1, cv: 0.5 },
      cache: { model: 'lru', capacity: 5000, keys: 100000, zipfS: 0.9 },
      next: ['dnn'],
    },
    { id: 'user', instances: 6, service: { dist: 'exponential', fixedMs: 0.8 }, next: ['dnn'] },
    {
      id: 'dnn',
      instances: 4,
      batch: { maxSize: 16, maxDelayMs: 2 },
      service: { dist: 'lognormal', fixedMs: 3, perItemMs: 0.3, cv: 0.2 },
      next: ['rerank'],
    },
    { id: 'rerank', instances: 6, service: { dist: 'deterministic', fixedMs: 0.6 } },
  ],
};
const single: PipelineSpec = {
  stages: [{ id: 'mm1', instances: 1, service: { dist: 'exponential', fixedMs: 0.15 } }],
};

function measure(pipeline: PipelineSpec): { visits: number; events: number; seconds: number } {
  const t0 = process.hrtime.bigint();
  const r = simulate({
    pipeline,
    traffic: { model: 'poisson', rateRps },
    durationS,
    seed: 1,
    samplePoints: 100,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { visits: r.stages.reduce((a, s) => a + s.visits, 0), events: r.events, seconds };
}

measure(single); // warm the JIT
const rows = [
  ['5-stage, cache + fork/join + batching', measure(fivePipeline)],
  ['1-stage M/M/1', measure(single)],
] as const;
console.log(`| pipeline | stage visits | events | wall s | visits/s | events/s |`);
console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
for (const [name, m] of rows) {
  console.log(
    `| ${name} | ${m.visits} | ${m.events} | ${m.seconds.toFixed(2)} | ${Math.round(m.visits / m.seconds)} | ${Math.round(m.events / m.seconds)} |`,
  );
}
console.log(
  `\nratio of visit rates (5-stage / 1-stage): ${(rows[0][1].visits / rows[0][1].seconds / (rows[1][1].visits / rows[1][1].seconds)).toFixed(2)}`,
);
