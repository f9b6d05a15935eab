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

/**
 * Allowed range of each numeric parameter ([min, max], integer or not): the one statement of
 * these rules, which the job schema (src/interpret/explanations.schema.ts) is built from.
 */
export const LIME_PARAMETER_RANGES = {
  numSamples: { min: 10, max: 100_000, integer: true },
  numFeatures: { min: 1, max: 1000, integer: true },
  nSegments: { min: 2, max: 2000, integer: true },
  compactness: { min: 0.01, max: 1000, integer: false },
  kernelWidth: { min: 1e-6, max: 1e6, integer: false },
  faithfulnessSteps: { min: 1, max: 1000, integer: true },
  randomRepeats: { min: 0, max: 100, integer: true },
  seed: { min: 0, max: 2 ** 32 - 1, integer: true },
} as const;
