/**
 * The service's study configuration: the library's validateStudyConfig (space, directions,
 * metrics, constraints, sampler, pruner) plus what only the service has: the budget and the
 * trial runner. Parsed once when a study is created (or validated) and stored normalised in
 * `studies.config`; the driver and the trial jobs read it back with the same function.
 */
import { FieldProblem, ValidationError } from '../../../platform/errors/domain-error';
import { AlgorithmConfig } from '../settings';
import { SearchSpace, parseSearchSpace } from '../space';
import { ConstraintSpec, ValidatedStudyConfig, validateStudyConfig } from './validate-study';
import { Direction } from '../trial';
import { userRecord } from '../../../platform/core/records';

/** The largest seed accepted anywhere (a 31-bit non-negative integer). */
export const MAX_SEED = 2 ** 31 - 1;

/** Named defaults of the service (the library's live in STUDY_DEFAULTS). */
export const SEARCH_SERVICE_DEFAULTS = {
  /** Trials of a command-runner study that gives neither nTrials nor timeoutS. */
  nTrials: 20,
  parallelism: 1,
  maxParallelism: 64,
  maxTrials: 100_000,
  /** Bytes of a failed trial's stderr kept on the trial. */
  stderrTailBytes: 4096,
};

export interface StudyBudget {
  nTrials: number | null;
  timeoutS: number | null;
  parallelism: number;
}

export type RunnerConfig =
  | { type: 'command'; command: string[]; env: Record<string, string>; timeoutS: number | null }
  | { type: 'external' };

/** JSON-friendly: the raw space is kept (parseSearchSpace rebuilds it identically). */
export interface StudyConfig {
  space: Record<string, unknown>;
  directions: Direction[];
  metrics: string[];
  constraints: ConstraintSpec[];
  sampler: AlgorithmConfig;
  pruner: AlgorithmConfig;
  budget: StudyBudget;
  runner: RunnerConfig;
  /** A study of the same project whose complete trials are prior observations (warm start). */
  warmStartFrom?: string;
}

const KNOWN = new Set([
  'name',
  'seed',
  'space',
  'direction',
  'directions',
  'metrics',
  'constraints',
  'sampler',
  'pruner',
  'budget',
  'runner',
  'warmStartFrom',
]);

/** Validates everything and throws one ValidationError listing every problem with its field. */
export function parseStudyConfig(raw: unknown): StudyConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw ValidationError.field('config', 'must be an object');
  const c = raw as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const k of Object.keys(c))
    if (!KNOWN.has(k)) problems.push({ field: k, message: 'unknown field' });
  let core: ValidatedStudyConfig | undefined;
  try {
    core = validateStudyConfig({
      space: c.space,
      direction: c.direction,
      directions: c.directions,
      metrics: c.metrics,
      constraints: c.constraints,
      sampler: c.sampler,
      pruner: c.pruner,
    });
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    problems.push(...(e.problems.length ? e.problems : [{ field: 'config', message: e.message }]));
  }
  if (c.space === undefined)
    problems.push({
      field: 'space',
      message: 'is required (the service samples a declared space)',
    });
  const warmStartFrom = c.warmStartFrom;
  if (
    warmStartFrom !== undefined &&
    (typeof warmStartFrom !== 'string' || !UUID.test(warmStartFrom))
  )
    problems.push({ field: 'warmStartFrom', message: 'must be the id (a UUID) of a study' });
  if (core) seedSampler(c.seed, core.sampler, problems);
  const runner = parseRunner(c.runner, problems);
  const budget = parseBudget(c.budget, runner, problems);
  if (problems.length || !core || !runner || !budget)
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  return {
    space: c.space as Record<string, unknown>,
    directions: core.directions,
    metrics: core.metrics,
    constraints: core.constraints,
    sampler: core.sampler,
    pruner: core.pruner,
    budget,
    runner,
    ...(warmStartFrom === undefined ? {} : { warmStartFrom: warmStartFrom as string }),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * The study-level `seed` becomes the sampler's `settings.seed` (where the sampler reads it); one
 * given both ways must agree. Without either the config stays unseeded: `withSeed` adds a
 * random one when the study is created.
 */
function seedSampler(seed: unknown, sampler: AlgorithmConfig, problems: FieldProblem[]): void {
  if (seed === undefined) return;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    problems.push({
      field: 'seed',
      message: `must be an integer in [0, ${MAX_SEED}], got ${JSON.stringify(seed)}`,
    });
    return;
  }
  const inSettings = sampler.settings.seed;
  if (inSettings !== undefined && inSettings !== seed) {
    problems.push({
      field: 'seed',
      message: `is ${seed} but sampler.settings.seed is ${JSON.stringify(inSettings)}; give one`,
    });
    return;
  }
  sampler.settings = { ...sampler.settings, seed };
}

/** The study's seed: the sampler's, as TrialSeededSampler reads it (0 for studies made before). */
export function studySeed(config: StudyConfig): number {
  const s = config.sampler.settings.seed;
  return typeof s === 'number' ? s : 0;
}

/** The config with a seed: its own, else `draw()` (a random one when a study is created). */
export function withSeed(config: StudyConfig, draw: () => number): StudyConfig {
  if (typeof config.sampler.settings.seed === 'number') return config;
  return {
    ...config,
    sampler: { ...config.sampler, settings: { ...config.sampler.settings, seed: draw() } },
  };
}

/** The parsed search space of a stored config. */
export function studySpace(config: StudyConfig): SearchSpace {
  return parseSearchSpace(config.space, 'space');
}

function parseRunner(raw: unknown, problems: FieldProblem[]): RunnerConfig | undefined {
  if (raw === undefined) return { type: 'external' };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({
      field: 'runner',
      message: 'must be {type: "command", command} or {type: "external"}',
    });
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  if (r.type === 'external') {
    for (const k of Object.keys(r))
      if (k !== 'type')
        problems.push({ field: `runner.${k}`, message: 'not allowed for an external runner' });
    return { type: 'external' };
  }
  if (r.type !== 'command') {
    problems.push({
      field: 'runner.type',
      message: `must be "command" or "external", got ${JSON.stringify(r.type)}`,
    });
    return undefined;
  }
  const before = problems.length;
  for (const k of Object.keys(r))
    if (!['type', 'command', 'env', 'timeoutS'].includes(k))
      problems.push({
        field: `runner.${k}`,
        message: 'unknown key (allowed: type, command, env, timeoutS)',
      });
  const command = r.command;
  if (
    !Array.isArray(command) ||
    command.length === 0 ||
    command.some((a) => typeof a !== 'string') ||
    command[0] === ''
  )
    problems.push({
      field: 'runner.command',
      message: 'must be a non-empty argv array of strings (no shell), e.g. ["python", "train.py"]',
    });
  const env = userRecord<string>();
  if (r.env !== undefined) {
    if (typeof r.env !== 'object' || r.env === null || Array.isArray(r.env))
      problems.push({ field: 'runner.env', message: 'must be an object of string values' });
    else
      for (const [k, v] of Object.entries(r.env)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || typeof v !== 'string')
          problems.push({
            field: `runner.env.${k}`,
            message: 'must be a string under a valid name',
          });
        else env[k] = v;
      }
  }
  const timeoutS = positiveNumber(r.timeoutS, 'runner.timeoutS', problems);
  if (problems.length > before) return undefined;
  return { type: 'command', command: command as string[], env, timeoutS };
}

function parseBudget(
  raw: unknown,
  runner: RunnerConfig | undefined,
  problems: FieldProblem[],
): StudyBudget | undefined {
  const b = raw ?? {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    problems.push({ field: 'budget', message: 'must be {nTrials?, timeoutS?, parallelism?}' });
    return undefined;
  }
  const o = b as Record<string, unknown>;
  const before = problems.length;
  for (const k of Object.keys(o))
    if (!['nTrials', 'timeoutS', 'parallelism'].includes(k))
      problems.push({
        field: `budget.${k}`,
        message: 'unknown key (allowed: nTrials, timeoutS, parallelism)',
      });
  const int = (k: string, max: number): number | null => {
    const v = o[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
      problems.push({
        field: `budget.${k}`,
        message: `must be an integer in [1, ${max}], got ${JSON.stringify(v)}`,
      });
      return null;
    }
    return v;
  };
  let nTrials = int('nTrials', SEARCH_SERVICE_DEFAULTS.maxTrials);
  const parallelism =
    int('parallelism', SEARCH_SERVICE_DEFAULTS.maxParallelism) ??
    SEARCH_SERVICE_DEFAULTS.parallelism;
  const timeoutS = positiveNumber(o.timeoutS, 'budget.timeoutS', problems);
  if (runner?.type === 'command' && nTrials === null && timeoutS === null)
    nTrials = SEARCH_SERVICE_DEFAULTS.nTrials;
  if (problems.length > before) return undefined;
  return { nTrials, timeoutS, parallelism };
}

function positiveNumber(v: unknown, field: string, problems: FieldProblem[]): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 30 * 24 * 3600) {
    problems.push({
      field,
      message: `must be a number of seconds in (0, 2592000], got ${JSON.stringify(v)}`,
    });
    return null;
  }
  return v;
}
