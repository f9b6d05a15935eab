import type { Dataset } from '../ml/data';

/**
 * What other capabilities (interpret, nas) need from the model and dataset registry. The
 * registry module (src/models/) implements it and provides it under MODEL_REGISTRY.
 */
export interface RegisteredModel {
  id: string;
  projectId: string;
  name: string;
  inputKind: 'image' | 'tabular' | 'text';
  /** Input shape without the batch dimension, e.g. [28, 28, 1] or [30]. */
  inputShape: number[];
  classNames: string[];
  /** Tabular models: the feature names, in input order. */
  featureNames?: string[];
  /** The data set the model was trained or fine-tuned on (LIME statistics, NormLIME samples). */
  datasetId: string | null;
}

export interface InferenceModel {
  meta: RegisteredModel;
  /** Class probabilities for images: HWC pixels in [0, 1], each of inputShape. */
  predictImages(batch: Float32Array[]): Promise<number[][]>;
  /** Class probabilities for tabular rows of featureNames.length values. */
  predictRows(batch: number[][]): Promise<number[][]>;
  /** Class probabilities for raw texts (the model's own tokenizer and vocabulary). */
  predictTexts(batch: string[]): Promise<number[][]>;
  /** Frees the model's tensors. */
  dispose(): void;
}

export interface ModelRegistryPort {
  /** Throws NotFoundError for an unknown model or one of another project. */
  loadForInference(projectId: string, modelId: string): Promise<InferenceModel>;
  /** Throws NotFoundError for an unknown data set or one of another project. */
  loadDataset(projectId: string, datasetId: string): Promise<Dataset>;
}

export const MODEL_REGISTRY = Symbol('MODEL_REGISTRY');
