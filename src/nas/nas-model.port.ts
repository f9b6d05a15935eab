/**
 * What the NAS and pruning job handlers need from the model and data set registry, in their
 * terms (split tensors, a model's input encoding). nas-model.adapter.ts implements it over the
 * one registry port (src/registry/model-registry.port.ts, MODEL_REGISTRY) and provides it under
 * NAS_MODEL_PORT; tests use an in-memory fake.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Vocabulary } from '../ml/data';
import type { ModelInputEncoding, NasTrainingData, SplitOptions } from './core/training-data';

export interface LoadedModel {
  model: tf.LayersModel;
  name: string;
  /** The data set it was trained on (the default for pruning), if known. */
  datasetId: string | null;
  /** Its text vocabulary / tabular z-scores, so fine-tuning data is encoded the same way. */
  encoding?: ModelInputEncoding;
}

export interface RegisterModelInput {
  name: string;
  model: tf.LayersModel;
  datasetId: string;
  /** Lineage: the model this one was derived from (pruning), if any. */
  parentModelId?: string;
  /** The job that produced it. */
  jobId: string;
  /** Validation metrics and costs to show in the registry (accuracy, params, flops ...). */
  metrics: Record<string, number>;
  /** Text models: the vocabulary the model reads with (the parent's, for a pruned model). */
  vocabulary?: Vocabulary;
  /** Tabular z-score / text sequence length the model expects (see NasTrainingData). */
  preprocessing?: { normalise?: { mean: number[]; std: number[] }; sequenceLength?: number };
}

export interface NasModelPort {
  /**
   * A registered data set as split tensors (`toTrainingData` does the work given the Dataset).
   * Throws NotFoundError for an unknown data set or one of another project.
   */
  loadTrainingData(
    projectId: string,
    datasetId: string,
    options: SplitOptions,
  ): Promise<NasTrainingData>;
  /** A registered model as a trainable layers model; the caller disposes it. NotFoundError if unknown. */
  loadModel(projectId: string, modelId: string): Promise<LoadedModel>;
  registerModel(projectId: string, input: RegisterModelInput): Promise<{ id: string }>;
}

export const NAS_MODEL_PORT = Symbol('NAS_MODEL_PORT');
