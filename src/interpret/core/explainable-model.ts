import type { PredictFn, RgbImage } from './types';

/**
 * What the explainers see of a model: its predict function, class names, inputs and the data it
 * may sample from. The model-registry adapter (model-registry.adapter.ts) builds one from a
 * registered model and its data set; tests build them from plain functions.
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
