/** Interpretability capability: job handlers and the model port; algorithms live in ./core. */
export {
  ExplainJobHandler,
  MAX_EXPLAIN_INSTANCES,
  type ExplainResult,
  type ExplainSpec,
} from './explain.handler';
export {
  NormLimeJobHandler,
  MAX_NORMLIME_INSTANCES,
  type ClassImportance,
  type NormLimeJobResult,
  type NormLimeSpec,
} from './normlime.handler';
export type {
  ExplainableModel,
  ImageModel,
  PredictProvider,
  TabularModel,
  TextModel,
} from './model-provider';
export { DEFAULT_LIME_PARAMETERS, type LimeParameters } from './explain-spec';
export type { DataPool, LoadOptions } from './model-provider';
export { InterpretModule } from './interpret.module';
export { RegistryPredictProvider } from './registry-provider';
export { explainableFromInference, MAX_STATISTICS_ROWS } from './inference-adapter';
export { DYNAMICS_ARTIFACT, parseDynamics } from './dynamics-artifact';
export { EXPLANATION_METHODS, type ExplanationMethod } from './explanations.dto';
