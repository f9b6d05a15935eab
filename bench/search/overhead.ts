/**
 * Sampler overhead against Optuna's on the same history, in one run: a study is preloaded with
 * the same N complete trials (random points of the space, values of the problem's formula) in our
 * in-memory storage and in Optuna's, then each sampler asks `--asks` trials and samples every
 * parameter; the CPU time of ask + sampling is averaged (each asked trial is then failed, so the
 * history stays the same); one warm-up ask is not counted. Both sides include their storage's cost of listing the trials, as a
 * user would see it.
 *
 * Usage (docs/benchmarks.md):
 *   node -r @swc-node/register bench/search/overhead.ts [--sizes 1000,10000] [--asks 5] \
 *     [--problem hartmann6] [--optuna-gp-max 2000] [--sampler SPEC]...
 * SPEC as in optuna-bridge.ts; default: tpe, cmaes, nsga2, gp and Optuna's (3.1 and 5; CMA-ES 3.1
 * only, GP 5 only). Optuna's GPSampler trains on every trial (no cap): at 10,000 its first ask
 * held 19 GB and had not finished after 4 CPU minutes, so it is skipped above `--optuna-gp-max`
 * trials (the row says so).
 */
import { Rng } from '../../src/platform/core/rng';
import { BENCHMARK_SUITE, evaluateProblem } from '../../src/search/core/benchmarks/benchmark-suite';
import { ParamValue } from '../../src/search/core/distributions';
import { InMemoryStudyStorage } from '../../src/search/core/memory-storage';
import { Study } from '../../src/search/core/study';
import { createSampler } from '../../src/search/core/samplers/sampler-registry';
import { sampleUniform } from '../../src/search/core/samplers/random';
import { SamplerSpec, median, option, options, parseSamplerSpec, runOptuna } from './optuna-bridge';

const sizes = (option('sizes') ?? '1000,10000').split(',').map(Number);
const asks = Number(option('asks') ?? 5);
const problemName = option('problem') ?? 'hartmann6';
const problem = BENCHMARK_SUITE.find((p) => p.name === problemName);
if (!problem) throw new Error(`unknown problem ${problemName}`);
// Optuna 5's CmaEsSampler needs cmaes >= 0.10 (lr_adapt); Debian ships 0.9.1 and no newer wheel
// is on disk, so CMA-ES is compared with Optuna 3.1's only.
const DEFAULT = [
  ...['tpe', 'optuna3.1:tpe', 'optuna5:tpe'],
  ...['cmaes', 'optuna3.1:cmaes'],
  ...['nsga2', 'optuna3.1:nsga2', 'optuna5:nsga2'],
  ...['gp', 'optuna5:gp'],
];
const optunaGpMax = Number(option('optuna-gp-max') ?? 2000);
const specs = (options('sampler').length ? options('sampler') : DEFAULT).map(parseSamplerSpec);

interface HistoryTrial {
  params: Record<string, ParamValue>;
  values: number[];
}

function history(n: number): HistoryTrial[] {
  const rng = new Rng(`history:${n}`);
  const p = problem as NonNullable<typeof problem>;
  return Array.from({ length: n }, () => {
    const params = Object.fromEntries(
      p.space.map((s) => [s.name, sampleUniform(rng, s.distribution)]),
    );
    return { params, values: [evaluateProblem(p, params)] };
  });
}

async function ours(spec: SamplerSpec, h: HistoryTrial[]): Promise<number[]> {
  const p = problem as NonNullable<typeof problem>;
  const storage = new InMemoryStudyStorage();
  const study = await Study.create(
    { storage, sampler: createSampler(spec.name, { ...spec.settings, seed: 0 }) },
    { name: 'overhead' },
  );
  for (const t of h) {
    const created = await storage.createTrial(study.id);
    for (const s of p.space)
      await storage.setTrialParam(
        study.id,
        created.number,
        s.name,
        t.params[s.name],
        s.distribution,
      );
    await storage.finishTrial(study.id, created.number, { state: 'complete', values: t.values });
  }
  const times: number[] = [];
  // One more ask than measured: the first warms up the JIT (and Optuna's caches on its side).
  for (let i = 0; i <= asks; i++) {
    const c0 = process.cpuUsage();
    const trial = await study.ask();
    for (const s of p.space) trial.suggest(s.name, s.distribution);
    await trial.flush();
    const c = process.cpuUsage(c0);
    if (i > 0) times.push((c.user + c.system) / 1e6);
    await study.tell(trial, 'failed');
  }
  return times;
}

async function main(): Promise<void> {
  const p = problem as NonNullable<typeof problem>;
  const rows: string[] = [];
  const versions: Record<string, string> = {};
  for (const n of sizes) {
    const h = history(n);
    for (const spec of specs) {
      if (spec.optuna && spec.name === 'gp' && n > optunaGpMax) {
        rows.push(`| ${n} | ${spec.label} | not run (above --optuna-gp-max ${optunaGpMax}) | |`);
        continue;
      }
      let times: number[];
      if (spec.optuna) {
        const r = runOptuna<{ optuna: string; cpuSecondsPerAsk: number[] }>(spec.optuna.python, {
          mode: 'overhead',
          sampler: spec.name,
          settings: spec.settings,
          space: p.space,
          history: h,
          asks,
        });
        versions[spec.label] = r.optuna;
        times = r.cpuSecondsPerAsk;
      } else {
        times = await ours(spec, h);
      }
      const ms = times.map((t) => t * 1000);
      rows.push(
        `| ${n} | ${spec.label} | ${median(ms).toFixed(1)} | ${Math.min(...ms).toFixed(1)} |`,
      );
      console.error(`${n} ${spec.label}: ${median(ms).toFixed(1)} ms`);
    }
  }
  console.log(
    `Problem ${p.name} (${p.space.length} parameters), ${asks} asks per cell; Optuna: ` +
      `${Object.entries(versions)
        .map(([k, v]) => `${k} = ${v}`)
        .join(', ')}\n`,
  );
  console.log('| history (trials) | sampler | CPU ms per ask (median) | min |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
