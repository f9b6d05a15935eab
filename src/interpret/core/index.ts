/** Public API of the interpretability core: LIME explainers, NormLIME, faithfulness, training dynamics. */
export * from './types';
export { ImageLimeExplainer, type ImageLimeOptions } from './image-lime';
export { TabularLimeExplainer, type TabularLimeOptions } from './tabular-lime';
export { TextLimeExplainer, tokenize, type TextLimeOptions, type Tokens } from './text-lime';
export { slic, toLab, type Segmentation, type SlicOptions } from './slic';
export { kMeans, type KMeansResult } from './kmeans';
export {
  imageNormLime,
  normLime,
  rankByImportance,
  type ImageNormLimeOptions,
  type ImageNormLimeResult,
  type LocalWeights,
  type NormLimeResult,
  type SuperpixelDescriber,
} from './normlime';
export {
  aopc,
  deletionCurve,
  faithfulness,
  importanceOrder,
  type DeletionOptions,
  type FaithfulnessReport,
} from './faithfulness';
export {
  DYNAMICS_METHODS,
  precisionAtK,
  rankSuspects,
  type DynamicsMethod,
  type EpochRecord,
  type SampleDynamics,
  type SuspectScore,
} from './dynamics';
export { weightedR2, weightedRidge, type RidgeFit } from './linalg';
export { exponentialKernel, FEATURE_SELECTIONS } from './lime-base';
export {
  createExplainer,
  EXPLAINERS,
  INPUT_KINDS,
  type ExplainerByKind,
  type ExplainerOptionsByKind,
} from './registry';
