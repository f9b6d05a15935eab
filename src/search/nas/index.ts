/** Public API of neural architecture search and pruning search (library level). */
export * from './spaces/architecture-space';
export { CellCnnSpace, CELL_CNN_DEFAULTS, CNN_HEADS, CNN_OPS, isConvOp } from './spaces/cell-cnn';
export type { CellCnnConfig, CellCnnEncoding, CnnBlock, CnnHead, CnnOp } from './spaces/cell-cnn';
export { MobilenetSpace, MOBILENET_DEFAULTS } from './spaces/mobilenet';
export type { MobilenetConfig, MobilenetEncoding, MobileStage } from './spaces/mobilenet';
export { MlpSpace, MLP_DEFAULTS, MLP_ACTIVATIONS } from './spaces/mlp';
export type { MlpConfig, MlpEncoding, MlpLayer, MlpActivation } from './spaces/mlp';
export { TextSpace, TEXT_DEFAULTS, TEXT_ENCODERS } from './spaces/text';
export type { TextConfig, TextEncoding, TextEncoder } from './spaces/text';
export {
  ARCHITECTURE_SPACES,
  ARCHITECTURE_SPACE_TYPES,
  createArchitectureSpace,
} from './spaces/registry';
export * from './cost';
export * from './objectives';
export * from './weight-inheritance';
export { ArchitectureEvolutionSampler } from './evolution';
export * from './driver';
export * from './training-data';
export * from './nas-port';
export * from './pruning/filter-pruning';
export * from './pruning/prune-search';
export * from './candidate';
export * from './nas-spec';
export * from './nas-result';
export * from './nas.handler';
export * from './nas-trial.handler';
export * from './prune.handler';
