import { ValidationError, type FieldProblem } from '../platform/errors/domain-error';
import { parseLimeParameters, type LimeParameters } from './core/lime-parameters';

/*
 * The specs of the `explain` and `normlime` jobs: what POST /v1/explanations, the CLI and the
 * worker validate (errors name each field; the normalised spec is what the jobs table stores,
 * and reading it again gives it back unchanged).
 */

export const MAX_EXPLAIN_INSTANCES = 1000;
export const MAX_NORMLIME_INSTANCES = 5000;

export interface ExplainSpec {
  model: string;
  /** The instances to explain, or else `sampleSize` instances drawn (seeded) from the data set. */
  instances?: unknown[];
  sampleSize?: number;
  /** A data set id replacing the model's training set (sampling pool, tabular statistics). */
  dataset?: string;
  /** Optional class to explain per instance; default the predicted class. */
  labels?: number[];
  parameters: LimeParameters;
}

export interface NormLimeSpec {
  model: string;
  /** A data set id replacing the model's training set (sampling pool, tabular statistics). */
  dataset?: string;
  /** Explicit instances, or else `sampleSize` instances drawn (seeded) from the model's dataset. */
  instances?: unknown[];
  sampleSize: number;
  /** Image models: number of shared superpixel concepts (k-means clusters). */
  numClusters: number;
  parameters: LimeParameters;
}

/** Validates an `explain` spec and fills the LIME defaults; every problem names its field. */
export function readExplainSpec(spec: unknown): ExplainSpec {
  const raw = asRecord(spec);
  const problems: FieldProblem[] = [];
  const model = requireModel(raw, problems);
  unknownFields(
    raw,
    ['model', 'dataset', 'instances', 'sampleSize', 'labels', 'parameters'],
    problems,
  );
  const dataset = optionalDataset(raw, problems);
  const instances = raw.instances;
  if (instances !== undefined) {
    if (
      !Array.isArray(instances) ||
      instances.length === 0 ||
      instances.length > MAX_EXPLAIN_INSTANCES
    ) {
      problems.push({
        field: 'instances',
        message: `must be an array of 1 to ${MAX_EXPLAIN_INSTANCES} instances`,
      });
    }
    if (raw.sampleSize !== undefined)
      problems.push({ field: 'sampleSize', message: 'give instances or sampleSize, not both' });
  } else if (raw.sampleSize === undefined) {
    problems.push({
      field: 'instances',
      message: 'required unless sampleSize instances are drawn from the data set',
    });
  }
  const sampleSize = optionalSampleSize(raw, MAX_EXPLAIN_INSTANCES, problems);
  let labels: number[] | undefined;
  if (raw.labels !== undefined) {
    if (
      !Array.isArray(raw.labels) ||
      !raw.labels.every((l) => Number.isInteger(l) && l >= 0) ||
      !Array.isArray(instances) ||
      raw.labels.length !== instances.length
    ) {
      problems.push({
        field: 'labels',
        message: 'must be one non-negative class index per given instance',
      });
    } else labels = raw.labels as number[];
  }
  const parameters = parseLimeParameters(raw.parameters, problems);
  throwIfProblems(problems);
  return {
    model,
    ...(instances !== undefined ? { instances: instances as unknown[] } : { sampleSize }),
    ...(dataset !== undefined ? { dataset } : {}),
    ...(labels ? { labels } : {}),
    parameters,
  };
}

/** Validates a `normlime` spec (default 100 sampled instances, 10 image concepts). */
export function readNormLimeSpec(spec: unknown): NormLimeSpec {
  const raw = asRecord(spec);
  const problems: FieldProblem[] = [];
  const model = requireModel(raw, problems);
  // numClusters sits in `parameters` in requests and at the top of the normalised spec.
  unknownFields(
    raw,
    ['model', 'dataset', 'instances', 'sampleSize', 'numClusters', 'parameters'],
    problems,
  );
  let instances: unknown[] | undefined;
  if (raw.instances !== undefined) {
    if (
      !Array.isArray(raw.instances) ||
      raw.instances.length === 0 ||
      raw.instances.length > MAX_NORMLIME_INSTANCES
    ) {
      problems.push({
        field: 'instances',
        message: `must be an array of 1 to ${MAX_NORMLIME_INSTANCES} instances`,
      });
    } else instances = raw.instances;
  }
  const sampleSize = optionalSampleSize(raw, MAX_NORMLIME_INSTANCES, problems) ?? 100;
  const dataset = optionalDataset(raw, problems);
  const params = raw.parameters as Record<string, unknown> | undefined;
  const numClusters = raw.numClusters ?? params?.numClusters ?? 10;
  if (
    typeof numClusters !== 'number' ||
    !Number.isInteger(numClusters) ||
    numClusters < 2 ||
    numClusters > 200
  ) {
    problems.push({
      field: 'parameters.numClusters',
      message: `must be an integer in [2, 200], got ${JSON.stringify(numClusters)}`,
    });
  }
  const parameters = parseLimeParameters(raw.parameters, problems);
  throwIfProblems(problems);
  return {
    model,
    ...(dataset !== undefined ? { dataset } : {}),
    instances,
    sampleSize,
    numClusters: numClusters as number,
    parameters,
  };
}

function requireModel(raw: Record<string, unknown>, problems: FieldProblem[]): string {
  if (typeof raw.model !== 'string' || raw.model.trim() === '' || raw.model.length > 200) {
    problems.push({ field: 'model', message: 'must be a model reference of 1 to 200 characters' });
    return '';
  }
  return raw.model;
}

function unknownFields(
  raw: Record<string, unknown>,
  allowed: readonly string[],
  problems: FieldProblem[],
): void {
  for (const [key, value] of Object.entries(raw)) {
    if (value !== undefined && !allowed.includes(key))
      problems.push({ field: key, message: `unknown field; allowed: ${allowed.join(', ')}` });
  }
}

/** `dataset`: an optional data set reference (id or name) replacing the model's training set. */
function optionalDataset(
  raw: Record<string, unknown>,
  problems: FieldProblem[],
): string | undefined {
  if (raw.dataset === undefined) return undefined;
  if (typeof raw.dataset !== 'string' || raw.dataset.trim() === '' || raw.dataset.length > 200) {
    problems.push({
      field: 'dataset',
      message: 'must be a data set id or name (1 to 200 characters)',
    });
    return undefined;
  }
  return raw.dataset;
}

/** `sampleSize`: instances drawn from the data set, an integer in [1, max] when given. */
function optionalSampleSize(
  raw: Record<string, unknown>,
  max: number,
  problems: FieldProblem[],
): number | undefined {
  const v = raw.sampleSize;
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    problems.push({
      field: 'sampleSize',
      message: `must be an integer in [1, ${max}], got ${JSON.stringify(v)}`,
    });
    return undefined;
  }
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asRecord(spec: unknown): Record<string, unknown> {
  if (!isRecord(spec))
    throw new ValidationError('spec must be an object', [
      { field: '', message: 'must be an object' },
    ]);
  return spec;
}

function throwIfProblems(problems: FieldProblem[]): void {
  if (problems.length > 0) {
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  }
}
