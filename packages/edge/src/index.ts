/**
 * @autodl/edge: on-device personalisation and online learning of AutoDL registry models
 * (docs/edge.md). Browser-safe; Node extras (bundle folders, file head store) in `./node`.
 */
export { EdgeModel } from './edge-model';
export type {
  EdgeModelInfo,
  EdgeModelOptions,
  EdgePrediction,
  EdgeStats,
  FeedbackResult,
} from './edge-model';
export { ActivationCache } from './activation-cache';
export type { CachedActivation } from './activation-cache';
export { BUNDLE_FORMAT, loadBundle, modelFromArtifacts, parseManifest } from './bundle';
export type {
  BundleFile,
  BundleManifest,
  BundleSource,
  BundleVariant,
  Fetch,
  InputContract,
  LoadedBundle,
} from './bundle';
export type { EdgeInput } from './inputs';
export type {
  Example,
  PersonalizeOptions,
  PersonalizeProgress,
  PersonalizeResult,
} from './personalize';
export { defaultAugmentations, RandomBrightness, RandomFlip, RandomTranslate } from './augment';
export type { ImageAugmentation, ImageShape } from './augment';
export { Rng } from './rng';
export { defaultHeadStore, indexedDbHeadStore } from './head-store';
export type { HeadStore } from './head-store';
