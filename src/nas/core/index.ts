/** Public API of the NAS and pruning-search library (pure: no framework, database or files). */
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
} from './spaces/space-registry';
export * from './latency-cost';
export * from './objectives';
export * from './weight-inheritance';
export { architectureEvolution, architectureEvolutionSampler } from './architecture-evolution';
export * from './nas-summary';
export * from './nas-report';
export * from './feasibility';
export * from './front';
export * from './training-data';
export * from './pruning/filter-pruning';
export * from './pruning/prune-search';
export * from './candidate';
export * from './nas-spec';
