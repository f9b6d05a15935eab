/**
 * What the Optuna comparisons share: sampler specs on the command line and the bridge to
 * bench/search/optuna_runner.py.
 *
 * A sampler spec is `[optuna<version>:]<name>[<settings JSON>]`, e.g. `tpe`,
 * `tpe{"multivariate":true}`, `optuna3.1:tpe`, `optuna5:tpe{"multivariate":false}`, `optuna5:gp`.
 * Without a prefix it is one of our samplers (any name of src/search/core/samplers/sampler-registry.ts, with
 * its settings); with one it is Optuna's sampler of that name run by that version's interpreter:
 *   optuna3.1 -> $OPTUNA3_PYTHON or /usr/bin/python3 (Debian python3-optuna 3.1)
 *   optuna5   -> $OPTUNA5_PYTHON or /work/venv-optuna5/bin/python (the optuna 5.0.0 wheel in a
 *                venv over Debian's python3, see docs/benchmarks.md)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface SamplerSpec {
  /** The spec as given (used as the column label). */
  label: string;
  name: string;
  settings: Record<string, unknown>;
  /** Set for Optuna's samplers. */
  optuna?: { version: string; python: string };
}

const PYTHONS: Record<string, () => string> = {
  'optuna3.1': () => process.env.OPTUNA3_PYTHON ?? '/usr/bin/python3',
  optuna5: () => process.env.OPTUNA5_PYTHON ?? '/work/venv-optuna5/bin/python',
};

export function parseSamplerSpec(spec: string): SamplerSpec {
  const brace = spec.indexOf('{');
  const head = brace >= 0 ? spec.slice(0, brace) : spec;
  let settings: Record<string, unknown> = {};
  if (brace >= 0) {
    const parsed: unknown = JSON.parse(spec.slice(brace));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error(`sampler settings must be a JSON object in ${spec}`);
    settings = parsed as Record<string, unknown>;
  }
  const colon = head.indexOf(':');
  if (colon < 0) return { label: spec, name: head, settings };
  const version = head.slice(0, colon);
  const python = PYTHONS[version];
  if (!python)
    throw new Error(
      `unknown Optuna version ${version} in ${spec} (known: ${Object.keys(PYTHONS)})`,
    );
  return {
    label: spec,
    name: head.slice(colon + 1),
    settings,
    optuna: { version, python: python() },
  };
}

const RUNNER = join(__dirname, 'optuna_runner.py');

/** Runs optuna_runner.py with `task` on stdin under the given interpreter; returns its JSON. */
export function runOptuna<T>(python: string, task: unknown): T {
  const r = spawnSync(python, [RUNNER], {
    input: JSON.stringify(task),
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${python} ${RUNNER} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export function median(xs: readonly number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function geometricMean(xs: readonly number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

const argv = process.argv.slice(2);
/** Every value of a repeatable `--name value` option. */
export function options(name: string): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (a === `--${name}` && i + 1 < argv.length) out.push(argv[i + 1]);
  });
  return out;
}
export const option = (name: string): string | undefined => options(name).at(-1);
export const flag = (name: string): boolean => argv.includes(`--${name}`);
