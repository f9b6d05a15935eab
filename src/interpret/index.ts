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
