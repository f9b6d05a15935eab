/**
 * The spec of job kind `prune` (what `POST /v1/prune` queues) as stored, normalised at enqueue by
 * its schema (src/nas/prune.schema.ts), and the job's result: { model, dataset? (default: the
 * model's own), budgets? [0.75, 0.5, 0.25] (fractions of the model's cost), metric? flops | params | latencyMs, stepFraction?,
 * stepFineTuneEpochs?, fineTuneEpochs?, batchSize?, learningRate?, layers?, validationFraction?,
 * seed?, register? }.
 */
import type { JobResources } from '../../../platform/validation/job-resources';
import type { CostMetric } from '../latency-cost';

export const PRUNE_JOB_DEFAULTS = {
  budgets: [0.75, 0.5, 0.25],
  validationFraction: 0.2,
  register: true,
};

export interface PruneJobSpec {
  /** Kubernetes resources of the job (platform/validation/job-resources.ts). */
  resources?: JobResources;
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
