/**
 * Public API of the pure data layer: parsers of bytes already in memory, transformations,
 * augmentation, batching. Nothing here touches the file system, so `core/` folders may import
 * it. The readers that do (packaged sets, image folders, zip archives through yauzl) are imported
 * from their own files: `./packaged`, `./image-folder`, `./image-zip`.
 */
export { Dataset, MAX_PROBLEMS } from './dataset';
export type {
  DatasetInputs,
  DatasetKind,
  DatasetStats,
  ImageInputs,
  ImageShape,
  TabularInputs,
  TextInputs,
} from './dataset';
export { parseIdx, encodeIdx, idxImageDataset, maybeGunzip } from './idx';
export type { IdxArray, IdxType, IdxDatasetFiles } from './idx';
export { parseCsv, parseSklearnCsv, parseHeaderlessCsv, splitCsv } from './csv';
export type { CsvOptions, CsvRecord } from './csv';
export { parseJsonl } from './jsonl';
export type { JsonlOptions } from './jsonl';
export { decodeImage, resizeImage } from './image';
export type { ResizeMethod } from './image';
export {
  tabularAsImages,
  resizeDataset,
  selectClasses,
  remapLabels,
  fewShot,
  stratifiedSplit,
  splitCounts,
  shuffleDataset,
  normalisationStats,
  normalise,
} from './transforms';
export type { Split, SplitFractions, NormalisationStats } from './transforms';
export { batches, batchCount } from './batches';
export type { Batch, BatchOptions } from './batches';
export { Vocabulary, PAD_ID, OOV_ID, wordTokens } from './vocabulary';
export {
  ImageAugmenter,
  createImageAugmentation,
  IMAGE_AUGMENTATIONS,
} from './augment/image-augment';
export type {
  ImageAugmentation,
  ImageAugmentationName,
  ImageAugmentationSpec,
} from './augment/image-augment';
export {
  flipHorizontal,
  flipVertical,
  translate,
  padCrop,
  rotate,
  scale,
  addNoise,
} from './augment/image-ops';
export { mixup, mixPair, sampleBeta } from './augment/mixup';
export type { MixupResult } from './augment/mixup';
export {
  EdaAugmenter,
  edaTokens,
  synonymReplacement,
  randomInsertion,
  randomSwap,
  randomDeletion,
} from './augment/eda';
export type { EdaOptions, EdaOperation } from './augment/eda';
export { BUILTIN_SYNONYMS, synonymTable } from './augment/synonyms';
