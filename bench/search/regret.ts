/**
 * Best-found regret after 25/50/100 trials (median over seeds) for random, TPE, multivariate TPE,
 * CMA-ES and QMC on standard functions, and the sampler's own time per trial at 100 and 1000
 * trials. Usage: node -r @swc-node/register bench/search/regret.ts [--quick]
 */
import {
  BENCHMARKS,
  BenchmarkFunction,
  hartmann6,
} from '../../src/search/core/benchmarks/benchmark-functions';
import { InMemoryStudyStorage } from '../../src/search/core/memory-storage';
import { Study, Trial } from '../../src/search/core/study';
import { createSampler } from '../../src/search/core/samplers/sampler-registry';

const quick = process.argv.includes('--quick');
const SEEDS = quick ? 3 : 10;
const CHECKPOINTS = [25, 50, 100];
const SAMPLERS = ['random', 'qmc', 'tpe', 'tpe-multivariate', 'cmaes'];

async function bestCurve(
  fn: BenchmarkFunction,
  sampler: string,
  seed: number,
  n: number,
): Promise<number[]> {
  const study = await Study.create(
    { storage: new InMemoryStudyStorage(), sampler: createSampler(sampler, { seed }) },
    { name: fn.name },
  );
  const best: number[] = [];
  let b = Infinity;
  await study.optimize((t) => fn.objective(t), {
    nTrials: n,
    onTrialFinished: (t) => {
      b = Math.min(b, t.values?.[0] ?? Infinity);
      best.push(b);
    },
  });
  return best;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Mean cost of ask + 6 suggests + tell over the last 50 of `n` trials on Hartmann6, as process CPU
 * time (robust to other load on a shared machine) and wall time.
 */
async function timePerTrial(sampler: string, n: number): Promise<{ cpu: number; wall: number }> {
  const study = await Study.create(
    { storage: new InMemoryStudyStorage(), sampler: createSampler(sampler, { seed: 1 }) },
    { name: 't' },
  );
  const window = Math.min(50, n);
  const objective = (trial: Trial) =>
    hartmann6(Array.from({ length: 6 }, (_, j) => trial.suggestFloat(`x${j}`, 0, 1)));
  await study.optimize(objective, { nTrials: n - window });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await study.optimize(objective, { nTrials: window });
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000 / window, wall: (performance.now() - t0) / window };
}

async function main(): Promise<void> {
  const header = `| function | f* | sampler | ${CHECKPOINTS.map((c) => `regret@${c}`).join(' | ')} |`;
  console.log(header);
  console.log(`|${' --- |'.repeat(3 + CHECKPOINTS.length)}`);
  for (const fn of BENCHMARKS) {
    for (const s of SAMPLERS) {
      const curves: number[][] = [];
      for (let seed = 0; seed < SEEDS; seed++) curves.push(await bestCurve(fn, s, seed, 100));
      const cells = CHECKPOINTS.map((c) =>
        median(curves.map((cv) => cv[c - 1] - fn.optimum)).toPrecision(3),
      );
      console.log(`| ${fn.name} | ${fn.optimum} | ${s} | ${cells.join(' | ')} |`);
    }
  }
  console.log('');
  console.log('| sampler | CPU ms/trial @100 | CPU ms/trial @1000 | wall ms/trial @1000 |');
  console.log('| --- | --- | --- | --- |');
  for (const s of SAMPLERS) {
    const a = await timePerTrial(s, 100);
    const b = quick ? undefined : await timePerTrial(s, 1000);
    const fmt = (v: number | undefined) => (v === undefined ? 'skipped (--quick)' : v.toFixed(2));
    console.log(`| ${s} | ${a.cpu.toFixed(2)} | ${fmt(b?.cpu)} | ${fmt(b?.wall)} |`);
  }
}

void main();
