import type { JobContext } from '../platform/jobs/job-handler';
import type { PredictFn, RgbImage } from './core/types';

/**
 * The port through which the explain/normlime handlers reach a model. The lead wires it to the
 * model registry (zoo, fine-tuned or imported TF.js models) and to the CLI's `--model path`.
 * Implementations throw NotFoundError for an unknown model reference.
 */
interface ModelBase {
  /** Class names, one per probability column the model returns. */
  classNames: string[];
}

export interface TabularModel extends ModelBase {
  inputKind: 'tabular';
  predict: PredictFn<number[]>;
  /** Column names; their count is the number of input features. */
  featureNames: string[];
  /** Rows LIME takes its sampling statistics from (the training set or a sample of it). */
  trainingData: number[][];
  categoricalFeatures?: number[];
  /** Instances a normlime job may sample from when the spec gives none. */
  dataset?: number[][];
}

export interface TextModel extends ModelBase {
  inputKind: 'text';
  predict: PredictFn<string>;
  dataset?: string[];
}

export interface ImageModel extends ModelBase {
  inputKind: 'image';
  predict: PredictFn<RgbImage>;
  /** [height, width, 3] expected by the model. */
  inputShape: [number, number, 3];
  dataset?: RgbImage[];
}

export type ExplainableModel = TabularModel | TextModel | ImageModel;

export interface PredictProvider {
  load(model: string, ctx: JobContext): Promise<ExplainableModel>;
}
