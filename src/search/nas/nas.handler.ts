/**
 * Job kind `nas`: a neural architecture search on a registered data set (what `POST /v1/nas`
 * queues). Spec (named defaults in NAS_JOB_DEFAULTS):
 *   { dataset, space: name | {type, ...config}, strategy: name | {name, settings},
 *     objective?: {kind: accuracy | multi | scalarised ...}, constraints?: [{metric, max}],
 *     pruner?: {name, settings}, budget: {trials, epochsPerTrial, batchSize?, learningRate?,
 *     timeoutMs?}, validationFraction?, sequenceLength?, seed? }
 * Runs the study in this worker (trials in sequence); reports progress, a metric per trial and
 * writes the trials, the Pareto front (JSON and PNG) as artifacts. A re-queued job starts the
 * study again (trials are not checkpointed).
 */
import { scatterChart } from '../../platform/charts';
import {
  FieldProblem,
  UnprocessableError,
  ValidationError,
} from '../../platform/errors/domain-error';
import { JobCancelledError, JobContext, JobHandler } from '../../platform/jobs/job-handler';
import { parseSearchSpace } from '../core/space';
import { createPruner } from '../pruners/registry';
import { createSampler } from '../samplers/registry';
import { NasResult, NasTrialRecord, runNas } from './driver';
import { ArchitectureEvolutionSampler } from './evolution';
import { NasModelPort } from './nas-port';
import {
  NasConstraint,
  NasObjective,
  objectiveNames,
  parseConstraints,
  parseObjective,
} from './objectives';
import { ArchitectureSpace } from './spaces/architecture-space';
import { createArchitectureSpace } from './spaces/registry';

export const NAS_STRATEGIES = ['random', 'tpe', 'regularized-evolution'] as const;

export const NAS_JOB_DEFAULTS = {
  strategy: 'regularized-evolution',
  batchSize: 32,
  learningRate: 1e-3,
  validationFraction: 0.2,
  sequenceLength: 64,
  seed: 0,
  maxTrials: 10_000,
  maxEpochs: 1_000,
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
  };
  validationFraction: number;
  sequenceLength: number;
  seed: number;
}

export interface TrialSummary {
  number: number;
  state: string;
  encoding: unknown;
  accuracy?: number;
  values?: number[];
  params: number;
  flops: number;
  latencyMs?: number;
  epochsTrained: number;
  parent?: number;
}

export interface NasJobResult {
  space: { type: string; config: object };
  objectives: string[];
  directions: string[];
  stoppedBy: NasResult['stoppedBy'];
  trials: number;
  best?: TrialSummary;
  leaderboard: TrialSummary[];
  paretoFront: TrialSummary[];
}

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
    problems.push({ field: 'dataset', message: 'is required: a data set id' });
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
          new ArchitectureEvolutionSampler(
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
  };
  if (b) {
    for (const k of Object.keys(b))
      if (!['trials', 'epochsPerTrial', 'batchSize', 'learningRate', 'timeoutMs'].includes(k))
        problems.push({
          field: `budget.${k}`,
          message:
            'unknown key (known: trials, epochsPerTrial, batchSize, learningRate, timeoutMs)',
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
  const seed = intIn(s.seed ?? NAS_JOB_DEFAULTS.seed, 'seed', 0, 2 ** 31 - 1, problems);
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
    seed,
  };
}

export function summariseTrial(t: NasTrialRecord): TrialSummary {
  return {
    number: t.number,
    state: t.state,
    encoding: t.encoding,
    ...(t.accuracy !== undefined && { accuracy: t.accuracy }),
    ...(t.values && { values: t.values }),
    params: t.cost.params,
    flops: t.cost.flops,
    ...(t.cost.latencyMs !== undefined && { latencyMs: t.cost.latencyMs }),
    epochsTrained: t.epochsTrained,
    ...(t.parent !== undefined && { parent: t.parent }),
  };
}

export class NasJobHandler implements JobHandler<NasJobSpec, NasJobResult> {
  readonly kind = 'nas';

  constructor(private readonly port: NasModelPort) {}

  validate(spec: unknown): NasJobSpec {
    return validateNasSpec(spec);
  }

  async run(spec: NasJobSpec, ctx: JobContext): Promise<NasJobResult> {
    const data = await this.port.loadTrainingData(ctx.projectId, spec.dataset, {
      validationFraction: spec.validationFraction,
      seed: spec.seed,
      sequenceLength: spec.sequenceLength,
    });
    try {
      let spaceJson = spec.space;
      // A text space takes the data set's vocabulary size unless the spec fixed one.
      if (data.vocabSize !== undefined) {
        const obj =
          typeof spaceJson === 'string'
            ? { type: spaceJson }
            : (spaceJson as Record<string, unknown>);
        if (obj.vocabSize === undefined) spaceJson = { ...obj, vocabSize: data.vocabSize };
      }
      const space = createArchitectureSpace(spaceJson);
      if (space.inputKind !== data.inputKind)
        throw new UnprocessableError(
          `space ${space.type} takes ${space.inputKind} inputs but the data set holds ${data.inputKind} data`,
          [
            {
              field: 'space',
              message: `a ${space.inputKind} space does not fit ${data.inputKind} data`,
            },
          ],
        );
      const cfgVocab = (space.config as { vocabSize?: number }).vocabSize;
      if (data.vocabSize !== undefined && cfgVocab !== undefined && cfgVocab < data.vocabSize)
        throw new UnprocessableError(
          `space.vocabSize ${cfgVocab} is smaller than the data set's vocabulary (${data.vocabSize})`,
          [{ field: 'space.vocabSize', message: `must be >= ${data.vocabSize}` }],
        );
      await ctx.log(
        `NAS: ${space.type} space, ${spec.strategy.name}, ${spec.budget.trials} trials x ${spec.budget.epochsPerTrial} epochs`,
      );
      const result = await runNas({
        space,
        data: {
          train: data.train,
          validation: data.validation,
          inputShape: data.inputShape,
          numClasses: data.numClasses,
        },
        strategy: spec.strategy,
        objective: spec.objective,
        constraints: spec.constraints,
        pruner: spec.pruner,
        budget: spec.budget,
        seed: spec.seed,
        hooks: {
          shouldStop: () => ctx.cancelled,
          onProgress: (f, m) => ctx.progress(f, m),
          onTrial: async (t) => {
            if (t.accuracy !== undefined && t.state === 'complete')
              await ctx.metric('accuracy', t.number, t.accuracy);
            await ctx.metric('flops', t.number, t.cost.flops);
            await ctx.log(
              `trial ${t.number} ${t.state}: ${t.accuracy?.toFixed(4) ?? '-'} accuracy, ${t.cost.flops} FLOPs, ${t.cost.params} params${t.error ? ` (${t.error})` : ''}`,
            );
          },
        },
      });
      if (result.stoppedBy === 'cancelled' && ctx.cancelled) throw new JobCancelledError();
      const all = result.trials.map(summariseTrial);
      const front = result.paretoFront.map(summariseTrial);
      await ctx.artifact('trials.json', JSON.stringify(all, null, 2), 'application/json');
      await ctx.artifact('pareto.json', JSON.stringify(front, null, 2), 'application/json');
      const done = result.trials.filter(
        (t) => t.state === 'complete' && t.feasible && t.accuracy !== undefined,
      );
      if (done.length > 0) {
        const png = scatterChart({
          title: `NAS ${space.type}: accuracy vs MFLOPs`,
          xLabel: 'MFLOPs',
          yLabel: 'validation accuracy',
          points: done.map((t) => ({ x: t.cost.flops / 1e6, y: t.accuracy as number })),
          front: paretoOf(done).map((t) => ({ x: t.cost.flops / 1e6, y: t.accuracy as number })),
          frontLabel: 'Pareto front',
        });
        await ctx.artifact('pareto.png', png, 'image/png');
      }
      return {
        space: { type: space.type, config: space.config },
        objectives: objectiveNames(spec.objective),
        directions: result.directions,
        stoppedBy: result.stoppedBy,
        trials: result.trials.length,
        ...(result.best && { best: summariseTrial(result.best) }),
        leaderboard: result.leaderboard.slice(0, 20).map(summariseTrial),
        paretoFront: front,
      };
    } finally {
      data.dispose();
    }
  }
}

/** Accuracy (max) vs FLOPs (min) front of the given trials, for the chart whatever the objective. */
export function paretoOf(trials: readonly NasTrialRecord[]): NasTrialRecord[] {
  const sorted = [...trials].sort(
    (a, b) => a.cost.flops - b.cost.flops || (b.accuracy as number) - (a.accuracy as number),
  );
  const out: NasTrialRecord[] = [];
  let bestAcc = -Infinity;
  for (const t of sorted)
    if ((t.accuracy as number) > bestAcc) {
      out.push(t);
      bestAcc = t.accuracy as number;
    }
  return out;
}
