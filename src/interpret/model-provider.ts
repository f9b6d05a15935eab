import type { JobContext } from '../platform/jobs/job-handler';
import type { PredictFn, RgbImage } from './core/types';

/**
 * The port through which the explain/normlime handlers reach a model. RegistryPredictProvider
 * (registry-provider.ts) serves registered models (zoo, fine-tuned or imported TF.js) and the
 * CLI serves a model.json given by path. Implementations throw NotFoundError for an unknown
 * model reference and UnprocessableError for a data set that does not fit the model.
 */
/**
 * Instances a job may sample from: an array, or a lazy view over a registered data set (so that
 * a large image set is not converted to RGB as a whole). Arrays satisfy it as they are.
 */
export interface DataPool<I> {
  readonly length: number;
  at(index: number): I | undefined;
}

interface ModelBase {
  /** Class names, one per probability column the model returns. */
  classNames: string[];
  /** Frees the model (tensors); the handlers call it when the job ends. */
  dispose?: () => void;
}

export interface TabularModel extends ModelBase {
  inputKind: 'tabular';
  predict: PredictFn<number[]>;
  /** Column names; their count is the number of input features. */
  featureNames: string[];
  /** Rows LIME takes its sampling statistics from (the training set or a sample of it). */
  trainingData: number[][];
  categoricalFeatures?: number[];
  /** Instances a job may sample from when the spec gives none. */
  dataset?: DataPool<number[]>;
}

export interface TextModel extends ModelBase {
  inputKind: 'text';
  predict: PredictFn<string>;
  dataset?: DataPool<string>;
}

export interface ImageModel extends ModelBase {
  inputKind: 'image';
  predict: PredictFn<RgbImage>;
  /** [height, width, 3] expected by the model. */
  inputShape: [number, number, 3];
  dataset?: DataPool<RgbImage>;
}

export type ExplainableModel = TabularModel | TextModel | ImageModel;

export interface LoadOptions {
  /**
   * A data set reference to use instead of the model's own training set: LIME's sampling
   * statistics (tabular) and the pool `sampleSize` instances are drawn from. Implementations
   * throw UnprocessableError when it does not fit the model.
   */
  dataset?: string;
}

export interface PredictProvider {
  load(model: string, ctx: JobContext, options?: LoadOptions): Promise<ExplainableModel>;
}

/** Runs `work` with the loaded model and always releases it (its tensors) afterwards. */
export async function withLoadedModel<T>(
  provider: PredictProvider,
  spec: { model: string; dataset?: string },
  ctx: JobContext,
  work: (model: ExplainableModel) => Promise<T>,
): Promise<T> {
  const model = await provider.load(spec.model, ctx, { dataset: spec.dataset });
  try {
    return await work(model);
  } finally {
    model.dispose?.();
  }
}
