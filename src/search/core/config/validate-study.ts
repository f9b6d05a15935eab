/**
 * Checks a study configuration before anything runs (Katib's validate call): what relates its
 * parts and what the library's constructors decide. The shapes (types, enums, ranges, unknown
 * fields) are the service's JSON Schema's (src/search/study.schema.ts), whose algorithm settings
 * are generated from the same constructors. Collects every problem with its field path and
 * throws one ValidationError. Keys it does not know (name, budget, runner ...) are the caller's.
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

/** A study configuration as the library takes it (the service's schema gives this shape). */
export interface StudyConfigInput {
  /** The search space, parsed by the library (parseSearchSpace). */
  space?: unknown;
  direction?: Direction;
  directions?: Direction[];
  metrics?: string[];
  constraints?: ConstraintSpec[];
  /** A registered name, or a name with settings (checked by the algorithm's constructor). */
  sampler?: AlgorithmConfig | string;
  pruner?: AlgorithmConfig | string;
}

export function validateStudyConfig(c: StudyConfigInput): ValidatedStudyConfig {
  const problems: FieldProblem[] = [];
  let space: SearchSpace | undefined;
  if (c.space !== undefined) {
    try {
      space = parseSearchSpace(c.space, 'space');
    } catch (e) {
      collect(e, problems, '');
    }
  }
  if (c.directions !== undefined && c.direction !== undefined) {
    problems.push({ field: 'direction', message: 'give either direction or directions, not both' });
  }
  const directions =
    c.directions ?? (c.direction === undefined ? [STUDY_DEFAULTS.direction] : [c.direction]);
  let metrics =
    directions.length === 1
      ? [STUDY_DEFAULTS.metric]
      : directions.map((_, i) => `${STUDY_DEFAULTS.metric}${i}`);
  if (c.metrics !== undefined) {
    if (c.metrics.length !== directions.length) {
      problems.push({
        field: 'metrics',
        message: `needs one name per direction (${directions.length}), got ${c.metrics.length}`,
      });
    } else if (new Set(c.metrics).size !== c.metrics.length) {
      problems.push({ field: 'metrics', message: 'names must be distinct' });
    } else metrics = c.metrics;
  }
  const constraints = c.constraints ?? [];
  constraints.forEach((o, i) => {
    const f = `constraints[${i}]`;
    if (metrics.includes(o.metric))
      problems.push({
        field: `${f}.metric`,
        message: `"${o.metric}" is an objective; constrain another metric`,
      });
    if (o.max === undefined && o.min === undefined)
      problems.push({ field: f, message: 'needs max and/or min' });
  });
  const sampler = algorithm(c.sampler, STUDY_DEFAULTS.sampler);
  const pruner = algorithm(c.pruner, STUDY_DEFAULTS.pruner);
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
  if (problems.length)
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  return { space, directions, metrics, constraints, sampler, pruner };
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

/** `"tpe"` is `{name: "tpe", settings: {}}`; absent is the default algorithm. */
function algorithm(raw: AlgorithmConfig | string | undefined, def: string): AlgorithmConfig {
  if (raw === undefined) return { name: def, settings: {} };
  if (typeof raw === 'string') return { name: raw, settings: {} };
  return { name: raw.name, settings: raw.settings ?? {} };
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
