import type * as tf from '@tensorflow/tfjs';
import type { StoredDataset } from '../datasets/core/dataset-codec';
import type { Dataset, Vocabulary } from '../ml/data';
import type { JobContext } from '../platform/jobs/job-handler';
import type { Preprocessing } from './core/model-meta';

/**
 * The model and data set registry as other capabilities see it: one port, MODEL_REGISTRY,
 * implemented by src/registry/model-registry.adapter.ts. Consumers type their dependency as the
 * part they use: ModelRegistryPort (inference: explanations) or TrainingRegistryPort (training
 * jobs: pretrain, finetune).
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

/** Inference: a registered model behind predict functions, and data sets to explain it on. */
export interface ModelRegistryPort {
  /** Throws NotFoundError for an unknown model or one of another project. */
  loadForInference(projectId: string, modelId: string): Promise<InferenceModel>;
  /** Throws NotFoundError for an unknown data set or one of another project. */
  loadDataset(projectId: string, datasetId: string): Promise<Dataset>;
}

/** A registry row as training reads it: architecture, input contract, lineage, cost. */
export interface ModelRecord {
  id: string;
  name: string;
  architecture: string;
  inputKind: 'image' | 'tabular' | 'text';
  inputShape: number[];
  classNames: string[];
  featureNames: string[] | null;
  preprocessing: Preprocessing;
  datasetId: string | null;
  /** Parameter count (a bigint column, hence a string). */
  params: string;
  flops: number;
}

/** A registered model loaded for training: the caller owns (and disposes) `model`. */
export interface TrainableModel {
  record: ModelRecord;
  model: tf.LayersModel;
  /** Text models: the vocabulary the model was trained with. */
  vocabulary?: Vocabulary;
}

/** What a job registers: the input contract and lineage beside the weights. */
export interface NewModel {
  name: string;
  architecture: string;
  inputKind: 'image' | 'tabular' | 'text';
  classNames: string[];
  featureNames?: string[] | null;
  preprocessing?: Preprocessing;
  vocabulary?: Vocabulary;
  baseModelId?: string | null;
  datasetId?: string | null;
  method: string;
  metrics?: Record<string, unknown>;
  evaluation?: Record<string, unknown> | null;
}

/**
 * Training: references checked at enqueue, models and data sets loaded by id in the worker (specs
 * hold resolved ids), and the trained model registered with its lineage. Unknown or foreign ids
 * and references are NotFoundErrors, ambiguous names ConflictErrors.
 */
export interface TrainingRegistryPort {
  /** A model by id or name (the rule of src/datasets/core/references.ts). */
  resolveModel(projectId: string, ref: string): Promise<ModelRecord>;
  /** A data set by id or name. */
  resolveDataset(projectId: string, ref: string): Promise<{ id: string; name: string }>;
  /** ConflictError when the project has a model of that name. */
  assertModelNameFree(projectId: string, name: string): Promise<void>;
  /** The model a job registered (a re-run after its registration), else null. */
  findByJob(projectId: string, jobId: string): Promise<ModelRecord | null>;
  loadModel(projectId: string, modelId: string): Promise<TrainableModel>;
  /** A data set's examples with its train/validation/test split. */
  loadSplits(projectId: string, datasetId: string): Promise<StoredDataset>;
  /**
   * Registers the model a job trained (its files become the job's artifacts); a re-run of the
   * job returns the row it made.
   */
  registerFromJob(ctx: JobContext, model: tf.LayersModel, meta: NewModel): Promise<ModelRecord>;
  /**
   * Registers one of several models a job makes (files under `<project>/models/<id>/`); a re-run
   * returns the row it made under the same name.
   */
  registerJobModel(
    projectId: string,
    jobId: string,
    model: tf.LayersModel,
    meta: NewModel,
  ): Promise<ModelRecord>;
}

export const MODEL_REGISTRY = Symbol('MODEL_REGISTRY');
