/**
 * The spec of job kind `nas` (what `POST /v1/nas` queues), validated and normalised; named
 * defaults in NAS_JOB_DEFAULTS:
 *   { dataset, space: name | {type, ...config}, strategy: name | {name, settings},
 *     objective?: {kind: accuracy | multi | scalarised ...}, constraints?: [{metric, max}],
 *     pruner?: {name, settings}, budget: {trials, epochsPerTrial, batchSize?, learningRate?,
 *     timeoutMs?, parallelism?}, validationFraction?, sequenceLength?, seed? }
 */
import { FieldProblem, ValidationError } from '../../platform/errors/domain-error';
import { parseSearchSpace } from '../../search/core/space';
import { createPruner } from '../../search/core/pruners/pruner-registry';
import { createSampler } from '../../search/core/samplers/sampler-registry';
import { architectureEvolutionSampler } from './architecture-evolution';
import { NasConstraint, NasObjective, parseConstraints, parseObjective } from './objectives';
import { ArchitectureSpace } from './spaces/architecture-space';
import { createArchitectureSpace } from './spaces/space-registry';

export const NAS_STRATEGIES = ['random', 'tpe', 'regularized-evolution'] as const;

export const NAS_JOB_DEFAULTS = {
  strategy: 'regularized-evolution',
  batchSize: 32,
  learningRate: 1e-3,
  validationFraction: 0.2,
  sequenceLength: 64,
  /** Of `nas-export` only: a search without a seed gets a random one (recorded on its study). */
  seed: 0,
  maxTrials: 10_000,
  maxEpochs: 1_000,
  parallelism: 1,
  maxParallelism: 32,
};

export interface NasJobSpec {
  dataset: string;
  space: unknown;
  strategy: { name: string; settings: Record<string, unknown> };
  objective: NasObjective;
  constraints: NasConstraint[];
  pruner?: { name: string; settings: Record<string, unknown> };
  budget: {
    trials: number;
    epochsPerTrial: number;
    batchSize: number;
    learningRate: number;
    timeoutMs?: number;
    /** Trial jobs in flight at once. */
    parallelism: number;
  };
  validationFraction: number;
  sequenceLength: number;
  /** Unset: the driver draws one at random and records it on the study (src/nas/nas-studies.ts). */
  seed?: number;
}

const BUDGET_KEYS = [
  'trials',
  'epochsPerTrial',
  'batchSize',
  'learningRate',
  'timeoutMs',
  'parallelism',
];

const KEYS = [
  'dataset',
  'space',
  'strategy',
  'objective',
  'constraints',
  'pruner',
  'budget',
  'validationFraction',
  'sequenceLength',
  'seed',
];

function collect(problems: FieldProblem[], f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    problems.push(...(e.problems.length ? e.problems : [{ field: 'spec', message: e.message }]));
  }
}

function prefixed(prefix: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const problems = e.problems.map((p) => ({ field: `${prefix}.${p.field}`, message: p.message }));
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  }
}

function intIn(
  v: unknown,
  field: string,
  min: number,
  max: number,
  problems: FieldProblem[],
): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  problems.push({
    field,
    message: `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`,
  });
  return min;
}

function algorithm(v: unknown, field: string): { name: string; settings: Record<string, unknown> } {
  if (typeof v === 'string') return { name: v, settings: {} };
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const settings = o.settings ?? {};
    if (typeof o.name !== 'string')
      throw ValidationError.field(`${field}.name`, 'is required (a string)');
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings))
      throw ValidationError.field(`${field}.settings`, 'must be an object');
    return { name: o.name, settings: settings as Record<string, unknown> };
  }
  throw ValidationError.field(field, 'must be a name or { name, settings }');
}

export function validateNasSpec(raw: unknown): NasJobSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw ValidationError.field('spec', 'must be an object');
  const s = raw as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const k of Object.keys(s))
    if (!KEYS.includes(k))
      problems.push({ field: k, message: `unknown key (known: ${KEYS.join(', ')})` });
  if (typeof s.dataset !== 'string' || s.dataset.length === 0)
    problems.push({ field: 'dataset', message: 'is required: a data set id or name' });
  let space: ArchitectureSpace | undefined;
  collect(problems, () => (space = createArchitectureSpace(s.space ?? undefined, 'space')));
  let strategy = { name: NAS_JOB_DEFAULTS.strategy, settings: {} as Record<string, unknown> };
  collect(problems, () => {
    if (s.strategy !== undefined) strategy = algorithm(s.strategy, 'strategy');
    if (!(NAS_STRATEGIES as readonly string[]).includes(strategy.name))
      throw ValidationError.field(
        'strategy.name',
        `must be one of ${NAS_STRATEGIES.join(', ')}, got ${JSON.stringify(strategy.name)}`,
      );
    prefixed('strategy.settings', () => {
      if (strategy.name === 'regularized-evolution') {
        if (space)
          architectureEvolutionSampler(
            space,
            parseSearchSpace(space.toSearchSpace()),
            strategy.settings,
          );
      } else createSampler(strategy.name, strategy.settings);
    });
  });
  let objective: NasObjective = { kind: 'accuracy' };
  collect(problems, () => (objective = parseObjective(s.objective)));
  let constraints: NasConstraint[] = [];
  collect(problems, () => (constraints = parseConstraints(s.constraints)));
  let pruner: NasJobSpec['pruner'];
  collect(problems, () => {
    if (s.pruner === undefined || s.pruner === null) return;
    pruner = algorithm(s.pruner, 'pruner');
    const p = pruner;
    prefixed('pruner.settings', () => createPruner(p.name, p.settings));
  });
  const b = (
    typeof s.budget === 'object' && s.budget !== null && !Array.isArray(s.budget)
      ? s.budget
      : undefined
  ) as Record<string, unknown> | undefined;
  if (!b) problems.push({ field: 'budget', message: 'is required: { trials, epochsPerTrial }' });
  const budget: NasJobSpec['budget'] = {
    trials: intIn(b?.trials, 'budget.trials', 1, NAS_JOB_DEFAULTS.maxTrials, b ? problems : []),
    epochsPerTrial: intIn(
      b?.epochsPerTrial,
      'budget.epochsPerTrial',
      1,
      NAS_JOB_DEFAULTS.maxEpochs,
      b ? problems : [],
    ),
    batchSize: intIn(
      b?.batchSize ?? NAS_JOB_DEFAULTS.batchSize,
      'budget.batchSize',
      1,
      65536,
      problems,
    ),
    learningRate: NAS_JOB_DEFAULTS.learningRate,
    parallelism: intIn(
      b?.parallelism ?? NAS_JOB_DEFAULTS.parallelism,
      'budget.parallelism',
      1,
      NAS_JOB_DEFAULTS.maxParallelism,
      problems,
    ),
  };
  if (b) {
    for (const k of Object.keys(b))
      if (!BUDGET_KEYS.includes(k))
        problems.push({
          field: `budget.${k}`,
          message: `unknown key (known: ${BUDGET_KEYS.join(', ')})`,
        });
    if (b.learningRate !== undefined) {
      if (typeof b.learningRate === 'number' && b.learningRate > 0 && b.learningRate < 10)
        budget.learningRate = b.learningRate;
      else
        problems.push({
          field: 'budget.learningRate',
          message: `must be a number in (0, 10), got ${JSON.stringify(b.learningRate)}`,
        });
    }
    if (b.timeoutMs !== undefined)
      budget.timeoutMs = intIn(b.timeoutMs, 'budget.timeoutMs', 1, 30 * 86_400_000, problems);
  }
  const vf = s.validationFraction ?? NAS_JOB_DEFAULTS.validationFraction;
  if (!(typeof vf === 'number' && vf > 0 && vf < 1))
    problems.push({
      field: 'validationFraction',
      message: `must be a number in (0, 1), got ${JSON.stringify(vf)}`,
    });
  const sequenceLength = intIn(
    s.sequenceLength ?? NAS_JOB_DEFAULTS.sequenceLength,
    'sequenceLength',
    1,
    4096,
    problems,
  );
  const seed = s.seed === undefined ? undefined : intIn(s.seed, 'seed', 0, 2 ** 31 - 1, problems);
  if (problems.length)
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  return {
    dataset: s.dataset as string,
    space: s.space,
    strategy,
    objective,
    constraints,
    ...(pruner && { pruner }),
    budget,
    validationFraction: vf as number,
    sequenceLength,
    ...(seed !== undefined && { seed }),
  };
}
