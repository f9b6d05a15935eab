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
export * from './config/validate-study';
export * from './settings';
export * from './benchmarks/benchmark-functions';
export { createSampler, SAMPLERS, SAMPLER_NAMES } from './samplers/sampler-registry';
export type { Sampler, RelativeSample, ProposedParam } from './sampler';
export { createPruner, PRUNERS, PRUNER_NAMES } from './pruners/pruner-registry';
export type { Pruner, PruneDecision, PruneTarget } from './pruner';
