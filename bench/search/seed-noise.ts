/**
 * Is a sampler worse than another beyond the seed noise? Reads the JSON that
 * optuna-side-by-side.ts writes with --out and, per problem, compares the median regrets of two
 * of its samplers at one budget: the ratio of medians and its 90% bootstrap interval (seeds
 * resampled with replacement, 2000 times, seeded). "worse beyond noise" means the whole interval
 * is above 1. Also the geometric mean of the ratios with its bootstrap interval.
 *
 * Usage: node -r @swc-node/register bench/search/seed-noise.ts results.json \
 *   [--a auto] [--b tpe] [--budget 40]
 */
import { readFileSync } from 'node:fs';
import { Rng } from '../../src/platform/core/rng';
import { BENCHMARK_SUITE } from '../../src/search/core/benchmarks/benchmark-suite';
import { geometricMean, median, option } from './optuna-bridge';

interface RunResult {
  problem: string;
  seed: number;
  observed: number[];
  truth: number[];
}

const file = process.argv[2];
const a = option('a') ?? 'auto';
const b = option('b') ?? 'tpe';
const budget = Number(option('budget') ?? 40);
const EPS = 1e-12;
const data = JSON.parse(readFileSync(file, 'utf8')) as { results: Record<string, RunResult[]> };

function regrets(label: string, problem: string): number[] {
  const optimum = BENCHMARK_SUITE.find((p) => p.name === problem)?.optimum ?? 0;
  return data.results[label]
    .filter((r) => r.problem === problem)
    .map((r) => {
      let best = 0;
      for (let i = 1; i < budget; i++) if (r.observed[i] < r.observed[best]) best = i;
      return r.truth[best] - optimum;
    });
}

const rng = new Rng('seed-noise');
const resample = (xs: number[]) => xs.map(() => xs[rng.int(0, xs.length - 1)]);
const interval = (xs: number[]) => {
  const s = xs.slice().sort((x, y) => x - y);
  return [s[Math.floor(0.05 * s.length)], s[Math.floor(0.95 * s.length)]];
};

const problems = [...new Set(data.results[a].map((r) => r.problem))];
console.log(`${a} / ${b}, median regret at ${budget} trials, 90% bootstrap interval over seeds\n`);
console.log('| problem | ratio | 90% interval | verdict |');
console.log('| --- | --- | --- | --- |');
const boots: number[][] = [];
const ratios: number[] = [];
for (const p of problems) {
  const ra = regrets(a, p);
  const rb = regrets(b, p);
  const ratio = (median(ra) + EPS) / (median(rb) + EPS);
  ratios.push(ratio);
  const boot = Array.from(
    { length: 2000 },
    () => (median(resample(ra)) + EPS) / (median(resample(rb)) + EPS),
  );
  boots.push(boot);
  const [lo, hi] = interval(boot);
  const verdict = lo > 1 ? 'worse beyond noise' : hi < 1 ? 'better beyond noise' : 'within noise';
  console.log(`| ${p} | ${ratio.toFixed(2)} | ${lo.toFixed(2)} - ${hi.toFixed(2)} | ${verdict} |`);
}
const [glo, ghi] = interval(boots[0].map((_, k) => geometricMean(boots.map((bt) => bt[k]))));
console.log(
  `| **geometric mean** | **${geometricMean(ratios).toFixed(2)}** | ${glo.toFixed(2)} - ${ghi.toFixed(2)} | |`,
);
