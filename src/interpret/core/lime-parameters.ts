import type { FieldProblem } from '../../platform/errors/domain-error';
import { FEATURE_SELECTIONS } from './lime-base';
import type { FeatureSelection } from './types';

/** LIME and faithfulness parameters shared by the explain and normlime jobs, with defaults. */
export interface LimeParameters {
  numSamples: number;
  numFeatures: number;
  featureSelection: FeatureSelection;
  /** Kernel width; omitted = the explainer's default for the input kind. */
  kernelWidth?: number;
  /** Tabular: quartile-discretise continuous features. */
  discretize: boolean;
  /** Image: SLIC superpixel count and compactness. */
  nSegments: number;
  compactness: number;
  /** Image: 'mean' or an RGB triple in [0, 1]. */
  baseline: 'mean' | [number, number, number];
  /** Deletion-curve steps (default min(d, 20)) and random orderings for the AOPC baseline. */
  faithfulnessSteps?: number;
  randomRepeats: number;
  seed: number;
}

export const DEFAULT_LIME_PARAMETERS: LimeParameters = {
  numSamples: 1000,
  numFeatures: 10,
  featureSelection: 'auto',
  discretize: true,
  nSegments: 50,
  compactness: 10,
  baseline: 'mean',
  randomRepeats: 5,
  seed: 0,
};

const LIMITS: Record<string, [number, number, boolean]> = {
  numSamples: [10, 100_000, true],
  numFeatures: [1, 1000, true],
  nSegments: [2, 2000, true],
  compactness: [0.01, 1000, false],
  kernelWidth: [1e-6, 1e6, false],
  faithfulnessSteps: [1, 1000, true],
  randomRepeats: [0, 100, true],
  seed: [0, 2 ** 32 - 1, true],
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Check `parameters` and fill defaults; collects every problem before throwing. */
export function parseLimeParameters(
  raw: unknown,
  problems: FieldProblem[],
  field = 'parameters',
): LimeParameters {
  const out: LimeParameters = { ...DEFAULT_LIME_PARAMETERS };
  if (raw === undefined) return out;
  if (!isRecord(raw)) {
    problems.push({ field, message: 'must be an object' });
    return out;
  }
  const known = new Set([
    ...Object.keys(LIMITS),
    'featureSelection',
    'discretize',
    'baseline',
    'numClusters',
  ]);
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) problems.push({ field: `${field}.${key}`, message: 'unknown parameter' });
  }
  for (const [key, [lo, hi, integer]] of Object.entries(LIMITS)) {
    const v = raw[key];
    if (v === undefined) continue;
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      v < lo ||
      v > hi ||
      (integer && !Number.isInteger(v))
    ) {
      problems.push({
        field: `${field}.${key}`,
        message: `must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${JSON.stringify(v)}`,
      });
    } else {
      (out as unknown as Record<string, number>)[key] = v;
    }
  }
  if (raw.featureSelection !== undefined) {
    if (
      typeof raw.featureSelection === 'string' &&
      FEATURE_SELECTIONS.includes(raw.featureSelection as FeatureSelection)
    ) {
      out.featureSelection = raw.featureSelection as FeatureSelection;
    } else {
      problems.push({
        field: `${field}.featureSelection`,
        message: `must be one of ${FEATURE_SELECTIONS.join(', ')}`,
      });
    }
  }
  if (raw.discretize !== undefined) {
    if (typeof raw.discretize === 'boolean') out.discretize = raw.discretize;
    else problems.push({ field: `${field}.discretize`, message: 'must be a boolean' });
  }
  if (raw.baseline !== undefined) {
    const b = raw.baseline;
    if (b === 'mean') out.baseline = 'mean';
    else if (
      Array.isArray(b) &&
      b.length === 3 &&
      b.every((v) => typeof v === 'number' && v >= 0 && v <= 1)
    ) {
      out.baseline = [b[0], b[1], b[2]];
    } else
      problems.push({
        field: `${field}.baseline`,
        message: "must be 'mean' or three numbers in [0, 1]",
      });
  }
  return out;
}
