/**
 * What parallel trials cost: each sampler runs the noiseless problems of the broad suite
 * (src/search/core/benchmarks/benchmark-suite.ts) at `q` trials in flight, simulated deterministically with
 * ask/tell: up to q trials are asked (their parameters stored, so the sampler sees them as
 * running), then the oldest is told, and so on, as q workers with equal evaluation times would.
 * Prints the median regret at the budget for q = 1 and each q > 1, and the geometric mean over
 * problems of the ratio (median regret at q) / (median regret at q = 1): 1.0 means parallelism
 * lost nothing at equal trials.
 *
 * Specs that differ only in their `batch` setting share one set of sequential runs.
 *
 * Usage: node -r @swc-node/register bench/search/gp-parallel.ts \
 *   [--sampler gp] [--sampler 'gp{"batch":"none"}'] [--q 4,8] [--trials 40] [--seeds 5] \
 *   [--problems branin2,hartmann6]
 */
import {
  BENCHMARK_SUITE,
  SuiteProblem,
  evaluateProblem,
} from '../../src/search/core/benchmarks/benchmark-suite';
import { InMemoryStudyStorage } from '../../src/search/core/memory-storage';
import { Study, Trial } from '../../src/search/core/study';
import { createSampler } from '../../src/search/core/samplers/sampler-registry';
import { geometricMean, median, option, options, parseSamplerSpec } from './optuna-bridge';

const nTrials = Number(option('trials') ?? 40);
const seeds = Array.from({ length: Number(option('seeds') ?? 5) }, (_, i) => i);
const qs = (option('q') ?? '8').split(',').map(Number);
const specs = (options('sampler').length ? options('sampler') : ['gp', 'gp{"batch":"none"}']).map(
  parseSamplerSpec,
);
const filter = option('problems')?.split(',');
const problems = BENCHMARK_SUITE.filter(
  (p) => p.noiseSd === undefined && (!filter || filter.includes(p.name)),
);
const EPS = 1e-12;

async function regret(
  spec: ReturnType<typeof parseSamplerSpec>,
  p: SuiteProblem,
  seed: number,
  q: number,
): Promise<number> {
  const study = await Study.create(
    {
      storage: new InMemoryStudyStorage(),
      sampler: createSampler(spec.name, { ...spec.settings, seed }),
    },
    { name: p.name },
  );
  const inFlight: Trial[] = [];
  let asked = 0;
  let best = Infinity;
  while (asked < nTrials || inFlight.length) {
    while (inFlight.length < q && asked < nTrials) {
      const t = await study.ask();
      for (const s of p.space) t.suggest(s.name, s.distribution);
      await t.flush();
      inFlight.push(t);
      asked++;
    }
    const t = inFlight.shift() as Trial;
    const f = evaluateProblem(p, t.params);
    best = Math.min(best, f);
    await study.tell(t, f);
  }
  return best - p.optimum;
}

/** Specs that differ only in `batch` share their sequential (q = 1) runs: no trial is pending. */
function sequentialKey(spec: ReturnType<typeof parseSamplerSpec>): string {
  const { batch: _batch, ...rest } = spec.settings;
  return `${spec.name}${JSON.stringify(rest)}`;
}

async function main(): Promise<void> {
  const sequential = new Map<string, number>();
  for (const spec of specs) {
    console.log(`\n${spec.label}: median regret at ${nTrials} trials over ${seeds.length} seeds\n`);
    console.log(`| problem | q=1 | ${qs.map((q) => `q=${q} | ratio`).join(' | ')} |`);
    console.log(`|${' --- |'.repeat(2 + 2 * qs.length)}`);
    const ratios: number[][] = qs.map(() => []);
    for (const p of problems) {
      const med = async (q: number) => {
        const r: number[] = [];
        for (const s of seeds) r.push(await regret(spec, p, s, q));
        return median(r);
      };
      const key = `${sequentialKey(spec)}|${p.name}`;
      const m1 = sequential.get(key) ?? (await med(1));
      sequential.set(key, m1);
      const cells: string[] = [];
      for (const [k, q] of qs.entries()) {
        const mq = await med(q);
        const ratio = (mq + EPS) / (m1 + EPS);
        ratios[k].push(ratio);
        cells.push(`${mq.toPrecision(3)} | ${ratio.toFixed(2)}`);
      }
      console.log(`| ${p.name} | ${m1.toPrecision(3)} | ${cells.join(' | ')} |`);
    }
    console.log(
      `| geometric mean of ratios | | ${ratios.map((r) => `| ${geometricMean(r).toFixed(2)}`).join(' | ')} |`,
    );
  }
}

void main();
