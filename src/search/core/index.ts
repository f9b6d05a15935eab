/** Public API of the search library (pure, seeded; no I/O). */
export * from './distributions';
export * from './space';
export * from './trial';
export * from './storage';
export * from './memory-storage';
export * from './study-view';
export * from './study';
export * from './multi-objective';
export * from './importance';
export * from './validate';
export * from './settings';
export * from './benchmark-functions';
export { createSampler, SAMPLERS, SAMPLER_NAMES } from '../samplers/registry';
export type { Sampler, RelativeSample, ProposedParam } from '../samplers/sampler';
export { createPruner, PRUNERS, PRUNER_NAMES } from '../pruners/registry';
export type { Pruner, PruneDecision, PruneTarget } from '../pruners/pruner';
