/**
 * Job kind `prune`: pruning search on a registered model (what `POST /v1/prune` queues).
 * Spec: { model, dataset? (default: the model's own), budgets? [0.75, 0.5, 0.25] (fractions of
 * the model's cost), metric? flops | params | latencyMs, stepFraction?, stepFineTuneEpochs?,
 * fineTuneEpochs?, batchSize?, learningRate?, layers?, validationFraction?, seed?, register? }.
 * Registers one model per budget (lineage: the source model) unless `register` is false, and
 * writes the search record as `prune.json`.
 */
import * as tf from '@tensorflow/tfjs';
import { measureLatency } from '../ml/cost';
import { FieldProblem, UnprocessableError, ValidationError } from '../platform/errors/domain-error';
import {
  JobCancelledError,
  JobContext,
  JobHandler,
  SpecReference,
} from '../platform/jobs/job-handler';
import { COST_METRICS, CostMetric } from './core/latency-cost';
import { NasModelPort } from './nas-model.port';
import { PRUNE_DEFAULTS, PrunedModel, pruneSearch } from './core/pruning/prune-search';

export const PRUNE_JOB_DEFAULTS = {
  budgets: [0.75, 0.5, 0.25],
  validationFraction: 0.2,
  register: true,
};

export interface PruneJobSpec {
  model: string;
  dataset?: string;
  budgets: number[];
  metric: CostMetric;
  stepFraction: number;
  stepFineTuneEpochs: number;
  fineTuneEpochs: number;
  batchSize: number;
  learningRate: number;
  layers?: string[];
  validationFraction: number;
  seed: number;
  register: boolean;
}

export interface PruneJobResult {
  metric: CostMetric;
  original: { params: number; flops: number; latencyMs?: number; accuracy: number };
  family: Array<{
    budget: number;
    target: number;
    met: boolean;
    params: number;
    flops: number;
    latencyMs?: number;
    accuracy: number;
    widths: Record<string, number>;
    /** `greedy` (the search's path) or `uniform` (kept because it validated better). */
    allocation: 'greedy' | 'uniform';
    modelId?: string;
  }>;
  steps: Array<{ layer: string; removed: number; cost: number; accuracy: number }>;
}

const KEYS = [
  'model',
  'dataset',
  'budgets',
  'metric',
  'stepFraction',
  'stepFineTuneEpochs',
  'fineTuneEpochs',
  'batchSize',
  'learningRate',
  'layers',
  'validationFraction',
  'seed',
  'register',
];

export function validatePruneSpec(raw: unknown): PruneJobSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw ValidationError.field('spec', 'must be an object');
  const s = raw as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const bad = (field: string, message: string): void => void problems.push({ field, message });
  for (const k of Object.keys(s))
    if (!KEYS.includes(k)) bad(k, `unknown key (known: ${KEYS.join(', ')})`);
  if (typeof s.model !== 'string' || !s.model) bad('model', 'is required: a model id or name');
  if (s.dataset !== undefined && (typeof s.dataset !== 'string' || !s.dataset))
    bad('dataset', 'must be a data set id or name');
  const budgets = s.budgets ?? PRUNE_JOB_DEFAULTS.budgets;
  if (!Array.isArray(budgets) || budgets.length === 0)
    bad('budgets', 'must be a non-empty array of fractions in (0, 1]');
  else
    budgets.forEach((b, i) => {
      if (!(typeof b === 'number' && b > 0 && b <= 1))
        bad(`budgets[${i}]`, `must be a fraction in (0, 1], got ${JSON.stringify(b)}`);
    });
  const metric = s.metric ?? PRUNE_DEFAULTS.metric;
  if (!COST_METRICS.includes(metric as CostMetric))
    bad('metric', `must be one of ${COST_METRICS.join(', ')}, got ${JSON.stringify(metric)}`);
  const num = (key: string, def: number, ok: (v: number) => boolean, what: string): number => {
    const v = s[key] ?? def;
    if (typeof v === 'number' && Number.isFinite(v) && ok(v)) return v;
    bad(key, `must be ${what}, got ${JSON.stringify(v)}`);
    return def;
  };
  const int = (lo: number, hi: number) => (v: number) => Number.isInteger(v) && v >= lo && v <= hi;
  const spec: PruneJobSpec = {
    model: s.model as string,
    budgets: budgets as number[],
    metric: metric as CostMetric,
    stepFraction: num(
      'stepFraction',
      PRUNE_DEFAULTS.stepFraction,
      (v) => v > 0 && v < 1,
      'a number in (0, 1)',
    ),
    stepFineTuneEpochs: num(
      'stepFineTuneEpochs',
      PRUNE_DEFAULTS.stepFineTuneEpochs,
      int(0, 100),
      'an integer in [0, 100]',
    ),
    fineTuneEpochs: num(
      'fineTuneEpochs',
      PRUNE_DEFAULTS.fineTuneEpochs,
      int(0, 1000),
      'an integer in [0, 1000]',
    ),
    batchSize: num(
      'batchSize',
      PRUNE_DEFAULTS.batchSize,
      int(1, 65536),
      'an integer in [1, 65536]',
    ),
    learningRate: num(
      'learningRate',
      PRUNE_DEFAULTS.learningRate,
      (v) => v > 0 && v < 10,
      'a number in (0, 10)',
    ),
    validationFraction: num(
      'validationFraction',
      PRUNE_JOB_DEFAULTS.validationFraction,
      (v) => v > 0 && v < 1,
      'a number in (0, 1)',
    ),
    seed: num('seed', PRUNE_DEFAULTS.seed, int(0, 2 ** 31 - 1), 'an integer >= 0'),
    register: PRUNE_JOB_DEFAULTS.register,
  };
  if (s.dataset !== undefined) spec.dataset = s.dataset as string;
  if (s.register !== undefined) {
    if (typeof s.register === 'boolean') spec.register = s.register;
    else bad('register', 'must be true or false');
  }
  if (s.layers !== undefined) {
    if (
      Array.isArray(s.layers) &&
      s.layers.length > 0 &&
      s.layers.every((l) => typeof l === 'string')
    )
      spec.layers = s.layers as string[];
    else bad('layers', 'must be a non-empty array of layer names');
  }
  if (problems.length)
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  return spec;
}

export class PruneJobHandler implements JobHandler<PruneJobSpec, PruneJobResult> {
  readonly kind = 'prune';
  readonly references: readonly SpecReference[] = [
    { field: 'model', kind: 'model' },
    { field: 'dataset', kind: 'dataset' },
  ];

  constructor(private readonly port: NasModelPort) {}

  validate(spec: unknown): PruneJobSpec {
    return validatePruneSpec(spec);
  }

  async run(spec: PruneJobSpec, ctx: JobContext): Promise<PruneJobResult> {
    const loaded = await this.port.loadModel(ctx.projectId, spec.model);
    let family: PrunedModel[] = [];
    try {
      const datasetId = spec.dataset ?? loaded.datasetId;
      if (!datasetId)
        throw new UnprocessableError(
          'the model has no training data set on record; give "dataset"',
          [{ field: 'dataset', message: 'required for this model' }],
        );
      const data = await this.port.loadTrainingData(ctx.projectId, datasetId, {
        validationFraction: spec.validationFraction,
        seed: spec.seed,
        sequenceLength: loaded.model.inputs[0].shape[1] ?? undefined,
        ...(loaded.encoding && { encoding: loaded.encoding }),
      });
      try {
        const result = await pruneSearch(loaded.model, {
          train: data.train,
          validation: data.validation,
          budgets: spec.budgets,
          metric: spec.metric,
          stepFraction: spec.stepFraction,
          stepFineTuneEpochs: spec.stepFineTuneEpochs,
          fineTuneEpochs: spec.fineTuneEpochs,
          batchSize: spec.batchSize,
          learningRate: spec.learningRate,
          seed: spec.seed,
          layers: spec.layers,
          ...(spec.metric === 'latencyMs' && {
            measureLatency: (m: tf.LayersModel) =>
              measureLatency(m, { batchSize: 1, runs: 10, warmup: 2 }).medianMs,
          }),
          shouldStop: () => ctx.cancelled,
          onProgress: (f, m) => ctx.progress(f, m),
        });
        family = result.family;
        if (ctx.cancelled) throw new JobCancelledError();
        const out: PruneJobResult = {
          metric: result.metric,
          original: { ...result.original.cost, accuracy: result.original.accuracy },
          family: [],
          steps: result.steps,
        };
        for (const f of family) {
          const row: PruneJobResult['family'][number] = {
            budget: f.budget,
            target: f.target,
            met: f.met,
            ...f.cost,
            accuracy: f.accuracy,
            widths: f.widths,
            allocation: f.allocation,
          };
          if (spec.register) {
            const reg = await this.port.registerModel(ctx.projectId, {
              name: `${loaded.name}-pruned-${Math.round(f.budget * 100)}pct-${spec.metric}`,
              model: f.model,
              datasetId,
              parentModelId: spec.model,
              jobId: ctx.jobId,
              metrics: { accuracy: f.accuracy, params: f.cost.params, flops: f.cost.flops },
              ...(data.normalise && { preprocessing: { normalise: data.normalise } }),
            });
            row.modelId = reg.id;
          }
          out.family.push(row);
          await ctx.log(
            `budget ${f.budget}: ${f.cost.flops} FLOPs, accuracy ${f.accuracy.toFixed(4)}`,
          );
        }
        await ctx.artifact('prune.json', JSON.stringify(out, null, 2), 'application/json');
        return out;
      } finally {
        data.dispose();
      }
    } finally {
      for (const f of family) f.model.dispose();
      loaded.model.dispose();
    }
  }
}
