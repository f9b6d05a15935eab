/**
 * The spec of job kind `prune` (what `POST /v1/prune` queues), validated and normalised, and the
 * job's result: { model, dataset? (default: the model's own), budgets? [0.75, 0.5, 0.25]
 * (fractions of the model's cost), metric? flops | params | latencyMs, stepFraction?,
 * stepFineTuneEpochs?, fineTuneEpochs?, batchSize?, learningRate?, layers?, validationFraction?,
 * seed?, register? }.
 */
import { FieldProblem, ValidationError } from '../../../platform/errors/domain-error';
import { COST_METRICS, CostMetric } from '../latency-cost';
import { PRUNE_DEFAULTS } from './prune-search';

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
