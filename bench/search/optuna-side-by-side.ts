/**
 * Our samplers side by side with Optuna's on the broad benchmark set
 * (src/search/core/benchmarks/benchmark-suite.ts): same problems, spaces, seeds and noise, one run of
 * `max(budgets)` trials per sampler, problem and seed, the best-so-far regret read at each budget.
 * Prints the median regret per problem, budget and sampler, then for every sampler against every
 * baseline the ratio of median regrets per problem (ours / baseline; < 1 is better) and their
 * geometric mean per budget.
 *
 * Regret = f(x_best) - f*, where x_best is the trial with the best *observed* value (noisy variants
 * add Gaussian noise to what the sampler sees; the regret uses the noiseless value).
 *
 * Usage (docs/benchmarks.md):
 *   node -r @swc-node/register bench/search/optuna-side-by-side.ts \
 *     [--sampler SPEC]... [--baseline SPEC]... [--seeds 5] [--budgets 20,40,100] \
 *     [--problems branin2,levy5] [--out results.json] [--reuse results.json]
 * --reuse takes the runs of Optuna's samplers found in an earlier --out file (same trial count;
 * the noise depends only on problem and seed) and runs only the seeds missing there: Optuna 3.1 needs ~25 min
 * of CPU for the full set, and its results do not change when ours do.
 * SPEC as in optuna-bridge.ts. Defaults: samplers tpe and tpe-multivariate, baselines
 * optuna3.1:tpe and optuna5:tpe (both Optuna TPEs with their defaults).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Rng } from '../../src/platform/core/rng';
import {
  BENCHMARK_SUITE,
  FORMULAS,
  SuiteProblem,
  evaluateProblem,
} from '../../src/search/core/benchmarks/benchmark-suite';
import { InMemoryStudyStorage } from '../../src/search/core/memory-storage';
import { Study } from '../../src/search/core/study';
import { createSampler } from '../../src/search/core/samplers/sampler-registry';
import { sampleUniform } from '../../src/search/core/samplers/random';
import {
  SamplerSpec,
  geometricMean,
  median,
  option,
  options,
  parseSamplerSpec,
  runOptuna,
} from './optuna-bridge';

interface RunResult {
  problem: string;
  seed: number;
  observed: number[];
  truth: number[];
  cpuSeconds: number;
}

const budgets = (option('budgets') ?? '20,40,100').split(',').map(Number);
const nTrials = Math.max(...budgets);
const seeds = Array.from({ length: Number(option('seeds') ?? 5) }, (_, i) => i);
const problemFilter = option('problems')?.split(',');
const problems = BENCHMARK_SUITE.filter((p) => !problemFilter || problemFilter.includes(p.name));
const baselines = (
  options('baseline').length ? options('baseline') : ['optuna3.1:tpe', 'optuna5:tpe']
).map(parseSamplerSpec);
const ours = (options('sampler').length ? options('sampler') : ['tpe', 'tpe-multivariate']).map(
  parseSamplerSpec,
);
const all = [...ours, ...baselines];
/** Ratios of median regrets add this so that two zero regrets compare as equal. */
const EPS = 1e-12;

/** The same noise for every sampler: per problem and seed, one draw per trial number. */
function noiseFor(p: SuiteProblem, forSeeds: readonly number[]): number[][] | undefined {
  if (p.noiseSd === undefined) return undefined;
  const sd = p.noiseSd;
  return forSeeds.map((s) => {
    const rng = new Rng(`noise:${p.name}:${s}`);
    return Array.from({ length: nTrials }, () => rng.normal(0, sd));
  });
}

/** Both implementations of every formula must agree before any number is compared. */
function checkFormulas(): void {
  const rng = new Rng('formula-check');
  const points = problems.flatMap((p) =>
    [0, 1, 2].map(() => ({
      formula: p.formula,
      // Categorical choices are numbers in the suite, so every value is a coordinate.
      x: p.space.map((s) => sampleUniform(rng, s.distribution) as number),
    })),
  );
  const pythons = new Set(
    baselines.concat(ours).flatMap((s) => (s.optuna ? [s.optuna.python] : [])),
  );
  for (const python of pythons) {
    const { values } = runOptuna<{ values: number[] }>(python, { mode: 'eval', points });
    points.forEach((pt, i) => {
      const ts = FORMULAS[pt.formula](pt.x);
      if (Math.abs(ts - values[i]) > 1e-9 * Math.max(1, Math.abs(ts)))
        throw new Error(`${pt.formula}(${pt.x}) = ${ts} here but ${values[i]} in ${python}`);
    });
  }
}

async function runOurs(
  spec: SamplerSpec,
  p: SuiteProblem,
  noise?: number[][],
): Promise<RunResult[]> {
  const out: RunResult[] = [];
  for (const [k, seed] of seeds.entries()) {
    const study = await Study.create(
      {
        storage: new InMemoryStudyStorage(),
        sampler: createSampler(spec.name, { ...spec.settings, seed }),
      },
      { name: p.name },
    );
    const truth: number[] = [];
    const c0 = process.cpuUsage();
    await study.optimize(
      (t) => {
        const params = Object.fromEntries(
          p.space.map((s) => [s.name, t.suggest(s.name, s.distribution)]),
        );
        const f = evaluateProblem(p, params);
        truth[t.number] = f;
        return f + (noise ? noise[k][t.number] : 0);
      },
      { nTrials },
    );
    const c = process.cpuUsage(c0);
    const trials = await study.trials();
    out.push({
      problem: p.name,
      seed,
      observed: trials.map((t) => (t.values as number[])[0]),
      truth,
      cpuSeconds: (c.user + c.system) / 1e6,
    });
  }
  return out;
}

function regretAt(r: RunResult, budget: number, optimum: number): number {
  let best = 0;
  for (let i = 1; i < budget; i++) if (r.observed[i] < r.observed[best]) best = i;
  return r.truth[best] - optimum;
}

async function main(): Promise<void> {
  checkFormulas();
  const noise = new Map(problems.map((p) => [p.name, noiseFor(p, seeds)]));
  const results = new Map<string, RunResult[]>();
  const versions: Record<string, string> = {};
  const reuse = option('reuse');
  const previous = reuse
    ? (JSON.parse(readFileSync(reuse, 'utf8')) as {
        nTrials: number;
        seeds: number[];
        versions: Record<string, string>;
        results: Record<string, RunResult[]>;
      })
    : undefined;
  for (const spec of all) {
    const t0 = Date.now();
    let runs: RunResult[];
    // Only Optuna's runs are reused (ours change with our code), seed by seed.
    const names = new Set(problems.map((p) => p.name));
    const old =
      spec.optuna && previous && previous.nTrials === nTrials
        ? (previous.results[spec.label] ?? []).filter(
            (r) => names.has(r.problem) && seeds.includes(r.seed),
          )
        : [];
    const have = new Set(old.map((r) => `${r.problem}|${r.seed}`));
    const missing = seeds.filter((s) => problems.some((p) => !have.has(`${p.name}|${s}`)));
    if (spec.optuna) {
      runs = old.filter((r) => !missing.includes(r.seed));
      if (runs.length > 0) {
        versions[spec.label] = previous?.versions[spec.label] ?? '?';
        console.error(`${spec.label}: ${runs.length} runs reused from ${reuse}`);
      }
      if (missing.length > 0) {
        const res = runOptuna<{ optuna: string; results: RunResult[] }>(spec.optuna.python, {
          mode: 'run',
          sampler: spec.name,
          settings: spec.settings,
          seeds: missing,
          nTrials,
          problems: problems.map((p) => ({ ...p, noise: noiseFor(p, missing) })),
        });
        versions[spec.label] = res.optuna;
        runs.push(...res.results);
      }
    } else {
      runs = [];
      for (const p of problems) runs.push(...(await runOurs(spec, p, noise.get(p.name))));
    }
    results.set(spec.label, runs);
    console.error(`${spec.label}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  const med = new Map<string, number>();
  const key = (s: string, p: string, b: number) => `${s}|${p}|${b}`;
  for (const spec of all)
    for (const p of problems)
      for (const b of budgets) {
        const runs = (results.get(spec.label) ?? []).filter((r) => r.problem === p.name);
        med.set(key(spec.label, p.name, b), median(runs.map((r) => regretAt(r, b, p.optimum))));
      }

  console.log(
    `Optuna versions: ${Object.entries(versions)
      .map(([k, v]) => `${k} = ${v}`)
      .join(', ')}; ` + `seeds ${seeds.length}, budgets ${budgets.join('/')}\n`,
  );
  console.log('Median regret (f(best) - f*):\n');
  console.log(`| problem | budget | ${all.map((s) => s.label).join(' | ')} |`);
  console.log(`|${' --- |'.repeat(2 + all.length)}`);
  for (const p of problems)
    for (const b of budgets)
      console.log(
        `| ${p.name} | ${b} | ${all.map((s) => med.get(key(s.label, p.name, b))?.toPrecision(3)).join(' | ')} |`,
      );

  const ratios: Record<string, Record<string, number>> = {};
  for (const s of ours)
    for (const base of baselines) {
      const cols = budgets.map((b) => `${s.label} / ${base.label} @${b}`);
      console.log(`\nRatio of median regrets, ${s.label} / ${base.label} (< 1: ours better):\n`);
      console.log(`| problem | ${budgets.map((b) => `@${b}`).join(' | ')} |`);
      console.log(`|${' --- |'.repeat(1 + budgets.length)}`);
      const perBudget = budgets.map(() => [] as number[]);
      for (const p of problems) {
        const row = budgets.map((b, i) => {
          const r =
            ((med.get(key(s.label, p.name, b)) ?? NaN) + EPS) /
            ((med.get(key(base.label, p.name, b)) ?? NaN) + EPS);
          perBudget[i].push(r);
          return r;
        });
        console.log(`| ${p.name} | ${row.map((r) => r.toFixed(2)).join(' | ')} |`);
      }
      const gm = perBudget.map(geometricMean);
      console.log(`| **geometric mean** | ${gm.map((g) => `**${g.toFixed(2)}**`).join(' | ')} |`);
      cols.forEach((c, i) => (ratios[c] = { geometricMean: gm[i] }));
    }

  // The scale of seed noise: each sampler against itself, first half of the seeds / second half.
  if (seeds.length >= 4) {
    const half = seeds.slice(0, seeds.length >> 1);
    console.log(
      `\nSeed noise: geometric mean over problems of median regret (seeds ${half.join(',')}) / ` +
        `(the other seeds), per sampler; 1 = no noise:\n`,
    );
    console.log(`| sampler | ${budgets.map((b) => `@${b}`).join(' | ')} |`);
    console.log(`|${' --- |'.repeat(1 + budgets.length)}`);
    for (const s of all) {
      const runs = results.get(s.label) ?? [];
      const cells = budgets.map((b) =>
        geometricMean(
          problems.map((p) => {
            const rs = runs.filter((r) => r.problem === p.name);
            const m = (inFirst: boolean) =>
              median(
                rs
                  .filter((r) => half.includes(r.seed) === inFirst)
                  .map((r) => regretAt(r, b, p.optimum)),
              ) + EPS;
            return m(true) / m(false);
          }),
        ).toFixed(2),
      );
      console.log(`| ${s.label} | ${cells.join(' | ')} |`);
    }
  }

  console.log('\nSampler CPU seconds per run (mean over problems and seeds):\n');
  console.log('| sampler | s/run |');
  console.log('| --- | --- |');
  for (const s of all) {
    const runs = results.get(s.label) ?? [];
    console.log(
      `| ${s.label} | ${(runs.reduce((a, r) => a + r.cpuSeconds, 0) / runs.length).toFixed(2)} |`,
    );
  }

  const out = option('out');
  if (out) {
    writeFileSync(
      out,
      JSON.stringify({
        versions,
        budgets,
        nTrials,
        seeds,
        ratios,
        medians: Object.fromEntries(med),
        results: Object.fromEntries(results),
      }),
    );
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
