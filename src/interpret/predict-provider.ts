import type { ExplainableModel } from './core/explainable-model';

/**
 * The port through which the explanation jobs and the API reach a model: the model-registry
 * adapter (model-registry.adapter.ts) serves registered models, the CLI a model.json given by
 * path (local-explain.ts). Implementations throw NotFoundError for an unknown model reference and
 * UnprocessableError for a data set that does not fit the model.
 */
export interface PredictProvider {
  /** `scope` is the caller's project (a JobContext or a Principal). */
  load(
    model: string,
    scope: { projectId: string },
    options?: LoadOptions,
  ): Promise<ExplainableModel>;
}

export interface LoadOptions {
  /**
   * A data set reference to use instead of the model's own training set: LIME's sampling
   * statistics (tabular) and the pool `sampleSize` instances are drawn from. Implementations
   * throw UnprocessableError when it does not fit the model.
   */
  dataset?: string;
}

/** Injection token of the PredictProvider the service and the job handlers share. */
export const PREDICT_PROVIDER = Symbol('PREDICT_PROVIDER');

/** Runs `work` with the loaded model and always releases it (its tensors) afterwards. */
export async function withLoadedModel<T>(
  provider: PredictProvider,
  spec: { model: string; dataset?: string },
  scope: { projectId: string },
  work: (model: ExplainableModel) => Promise<T>,
): Promise<T> {
  const model = await provider.load(spec.model, scope, { dataset: spec.dataset });
  try {
    return await work(model);
  } finally {
    model.dispose?.();
  }
}
