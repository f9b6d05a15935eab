/**
 * Quality cost of the GP sampler's training-point cap (`maxTrainingPoints`, gp-subset.ts): the
 * median best regret after `--trials` trials over `--seeds` seeds for each cap, on a few
 * problems of the suite. A cap below the trial count means the subset-of-data approximation is
 * active for the later asks. Usage (docs/benchmarks/optuna.md, "Overhead"):
 *   node -r @swc-node/register bench/search/gp-cap.ts [--trials 120] [--seeds 3] \
 *     [--caps 30,60,100000] [--problems branin2,hartmann6]
 */
import { BENCHMARK_SUITE, evaluateProblem } from '../../src/search/core/benchmarks/benchmark-suite';
import { InMemoryStudyStorage } from '../../src/search/core/memory-storage';
import { Study } from '../../src/search/core/study';
import { GpSampler } from '../../src/search/core/samplers/gp-sampler';
import { median, option } from './optuna-bridge';

const trials = Number(option('trials') ?? 120);
const seeds = Number(option('seeds') ?? 3);
const caps = (option('caps') ?? '30,60,100000').split(',').map(Number);
const problems = (option('problems') ?? 'branin2,hartmann6').split(',');

async function regret(problemName: string, cap: number, seed: number): Promise<number> {
  const p = BENCHMARK_SUITE.find((q) => q.name === problemName);
  if (!p) throw new Error(`unknown problem ${problemName}`);
  const study = await Study.create(
    {
      storage: new InMemoryStudyStorage(),
      sampler: new GpSampler({ seed, maxTrainingPoints: cap }),
    },
    { name: p.name },
  );
  await study.optimize(
    (t) =>
      evaluateProblem(
        p,
        Object.fromEntries(p.space.map((s) => [s.name, t.suggest(s.name, s.distribution)])),
      ),
    { nTrials: trials },
  );
  return ((await study.bestTrial())?.values as number[])[0] - p.optimum;
}

async function main(): Promise<void> {
  console.log(`${trials} trials, ${seeds} seeds, median best regret\n`);
  console.log(`| problem | ${caps.map((c) => `cap ${c}`).join(' | ')} |`);
  console.log(`| --- | ${caps.map(() => '---').join(' | ')} |`);
  for (const name of problems) {
    const cells: string[] = [];
    for (const cap of caps) {
      const r: number[] = [];
      for (let s = 0; s < seeds; s++) r.push(await regret(name, cap, s));
      cells.push(median(r).toExponential(2));
      console.error(`${name} cap ${cap}: ${r.map((v) => v.toExponential(2)).join(' ')}`);
    }
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
