/**
 * Checks a study configuration before anything runs (Katib's validate call): search space,
 * directions / metrics, constraints, sampler and pruner names and settings, and how they fit
 * together. Collects every problem with its field path and throws one ValidationError.
 * Keys it does not know (name, budget, runner ...) are left to the caller.
 */
import { FieldProblem, ValidationError } from '../../../platform/errors/domain-error';
import { createPruner } from '../pruners/pruner-registry';
import { createSampler } from '../samplers/sampler-registry';
import { AlgorithmConfig } from '../settings';
import { SearchSpace, parseSearchSpace } from '../space';
import { Direction } from '../trial';

export interface ConstraintSpec {
  /** Metric name the trial reports. */
  metric: string;
  /** Feasible when metric <= max (constraint value metric - max). */
  max?: number;
  /** Feasible when metric >= min (constraint value min - metric). */
  min?: number;
}

export interface ValidatedStudyConfig {
  space?: SearchSpace;
  directions: Direction[];
  /** Objective metric names, one per direction. */
  metrics: string[];
  constraints: ConstraintSpec[];
  sampler: AlgorithmConfig;
  pruner: AlgorithmConfig;
}

/** Named defaults. */
export const STUDY_DEFAULTS = {
  /** GP / TPE / CMA-ES / NSGA-II/III chosen per trial (samplers/auto.ts). */
  sampler: 'auto',
  pruner: 'nop',
  direction: 'minimize' as Direction,
  metric: 'value',
};

const SINGLE_OBJECTIVE_SAMPLERS = new Set(['cmaes']);

export function validateStudyConfig(config: unknown): ValidatedStudyConfig {
  const problems: FieldProblem[] = [];
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw ValidationError.field('config', 'must be an object');
  }
  const c = config as Record<string, unknown>;
  let space: SearchSpace | undefined;
  if (c.space !== undefined) {
    try {
      space = parseSearchSpace(c.space, 'space');
    } catch (e) {
      collect(e, problems, '');
    }
  }
  let directions: Direction[] = [STUDY_DEFAULTS.direction];
  if (c.directions !== undefined && c.direction !== undefined) {
    problems.push({ field: 'direction', message: 'give either direction or directions, not both' });
  }
  const rawDirs = c.directions ?? (c.direction === undefined ? undefined : [c.direction]);
  const dirField = c.directions !== undefined ? 'directions' : 'direction';
  if (rawDirs !== undefined) {
    if (!Array.isArray(rawDirs) || rawDirs.length === 0)
      problems.push({
        field: dirField,
        message: 'must be a non-empty array of "minimize" | "maximize"',
      });
    else {
      rawDirs.forEach((d, i) => {
        if (d !== 'minimize' && d !== 'maximize') {
          problems.push({
            field: c.directions !== undefined ? `directions[${i}]` : 'direction',
            message: `must be "minimize" or "maximize", got ${JSON.stringify(d)}`,
          });
        }
      });
      directions = rawDirs as Direction[];
    }
  }
  let metrics =
    directions.length === 1
      ? [STUDY_DEFAULTS.metric]
      : directions.map((_, i) => `${STUDY_DEFAULTS.metric}${i}`);
  if (c.metrics !== undefined) {
    if (!Array.isArray(c.metrics) || c.metrics.some((m) => typeof m !== 'string' || m === '')) {
      problems.push({ field: 'metrics', message: 'must be an array of non-empty metric names' });
    } else if (c.metrics.length !== directions.length) {
      problems.push({
        field: 'metrics',
        message: `needs one name per direction (${directions.length}), got ${c.metrics.length}`,
      });
    } else if (new Set(c.metrics).size !== c.metrics.length) {
      problems.push({ field: 'metrics', message: 'names must be distinct' });
    } else metrics = c.metrics as string[];
  }
  const constraints = parseConstraints(c.constraints, metrics, problems);
  const sampler = parseAlgorithm(c.sampler, 'sampler', STUDY_DEFAULTS.sampler, problems);
  const pruner = parseAlgorithm(c.pruner, 'pruner', STUDY_DEFAULTS.pruner, problems);
  if (sampler) {
    try {
      createSampler(sampler.name, sampler.settings);
    } catch (e) {
      collect(e, problems, 'sampler.', sampler.name);
    }
    if (SINGLE_OBJECTIVE_SAMPLERS.has(sampler.name) && directions.length > 1) {
      problems.push({
        field: 'sampler.name',
        message: `${sampler.name} supports one objective; use nsga2 or tpe for ${directions.length}`,
      });
    }
    if (sampler.name === 'grid' && c.space === undefined) {
      problems.push({ field: 'space', message: 'the grid sampler needs a declared search space' });
    }
  }
  if (pruner) {
    try {
      createPruner(pruner.name, pruner.settings);
    } catch (e) {
      collect(e, problems, 'pruner.', pruner.name);
    }
    const obj = pruner.settings.objective;
    if (typeof obj === 'number' && obj >= directions.length) {
      problems.push({
        field: 'pruner.settings.objective',
        message: `must be < the number of objectives (${directions.length}), got ${obj}`,
      });
    }
  }
  if (problems.length)
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  return {
    space,
    directions,
    metrics,
    constraints,
    sampler: sampler as AlgorithmConfig,
    pruner: pruner as AlgorithmConfig,
  };
}

/** Constraint values (feasible when <= 0) from a trial's final metrics; NaN when one is missing. */
export function constraintValues(
  constraints: readonly ConstraintSpec[],
  metrics: Readonly<Record<string, number>>,
): number[] {
  const out: number[] = [];
  for (const c of constraints) {
    const v = metrics[c.metric];
    if (c.max !== undefined) out.push(v === undefined ? NaN : v - c.max);
    if (c.min !== undefined) out.push(v === undefined ? NaN : c.min - v);
  }
  return out;
}

function parseConstraints(
  raw: unknown,
  metrics: string[],
  problems: FieldProblem[],
): ConstraintSpec[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push({ field: 'constraints', message: 'must be an array of {metric, max?, min?}' });
    return [];
  }
  const out: ConstraintSpec[] = [];
  raw.forEach((r, i) => {
    const f = `constraints[${i}]`;
    if (typeof r !== 'object' || r === null)
      return problems.push({ field: f, message: 'must be an object {metric, max?, min?}' });
    const o = r as Record<string, unknown>;
    if (typeof o.metric !== 'string' || o.metric === '')
      problems.push({ field: `${f}.metric`, message: 'must be a metric name' });
    else if (metrics.includes(o.metric))
      problems.push({
        field: `${f}.metric`,
        message: `"${o.metric}" is an objective; constrain another metric`,
      });
    for (const k of ['max', 'min']) {
      if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isFinite(o[k])))
        problems.push({
          field: `${f}.${k}`,
          message: `must be a finite number, got ${JSON.stringify(o[k])}`,
        });
    }
    if (o.max === undefined && o.min === undefined)
      problems.push({ field: f, message: 'needs max and/or min' });
    for (const k of Object.keys(o))
      if (!['metric', 'max', 'min'].includes(k))
        problems.push({ field: `${f}.${k}`, message: 'unknown key (allowed: metric, max, min)' });
    out.push({
      metric: o.metric as string,
      max: o.max as number | undefined,
      min: o.min as number | undefined,
    });
  });
  return out;
}

function parseAlgorithm(
  raw: unknown,
  field: string,
  def: string,
  problems: FieldProblem[],
): AlgorithmConfig | undefined {
  if (raw === undefined) return { name: def, settings: {} };
  if (typeof raw === 'string') return { name: raw, settings: {} };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ field, message: 'must be a name or {name, settings}' });
    return undefined;
  }
  const o = raw as Record<string, unknown>;
  if (typeof o.name !== 'string') {
    problems.push({ field: `${field}.name`, message: 'is required' });
    return undefined;
  }
  for (const k of Object.keys(o))
    if (k !== 'name' && k !== 'settings')
      problems.push({ field: `${field}.${k}`, message: 'unknown key (allowed: name, settings)' });
  const settings = o.settings ?? {};
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    problems.push({ field: `${field}.settings`, message: 'must be an object' });
    return undefined;
  }
  return { name: o.name, settings: settings as Record<string, unknown> };
}

function collect(e: unknown, problems: FieldProblem[], prefix: string, algorithm?: string): void {
  if (!(e instanceof ValidationError)) throw e;
  const list = e.problems.length ? e.problems : [{ field: 'config', message: e.message }];
  for (const p of list) {
    const field =
      algorithm === undefined
        ? p.field
        : p.field === 'name'
          ? `${prefix}name`
          : `${prefix}settings.${p.field}`;
    problems.push({ field, message: p.message });
  }
}
