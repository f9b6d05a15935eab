import { Injectable } from '@nestjs/common';
import type * as tf from '@tensorflow/tfjs';
import type { StoredDataset } from '../datasets/core/dataset-codec';
import { DatasetsService } from '../datasets/datasets.service';
import type { Dataset } from '../ml/data';
import { TfRuntime } from '../ml/tf-runtime';
import type { JobContext } from '../platform/jobs/job-handler';
import { parseInstances } from './core/encode';
import { contractOf, predictProbabilities, predictProbabilitiesAsync } from './core/predict';
import type {
  InferenceModel,
  ModelRecord,
  ModelRegistryPort,
  NewModel,
  TrainableModel,
  TrainingRegistryPort,
} from './model-registry.port';
import { ModelsService } from './models.service';

/**
 * MODEL_REGISTRY: the model and data set services behind the one port other capabilities use.
 * Models it loads are fresh copies the caller disposes; the TF.js backend is ready before any.
 */
@Injectable()
export class ModelRegistryAdapter implements ModelRegistryPort, TrainingRegistryPort {
  constructor(
    private readonly models: ModelsService,
    private readonly datasets: DatasetsService,
    private readonly tf: TfRuntime,
  ) {}

  async loadForInference(projectId: string, modelId: string): Promise<InferenceModel> {
    await this.tf.ready();
    const loaded = await this.models.load(projectId, modelId);
    const e = loaded.entity;
    const contract = contractOf(e);
    // Pipelined over inference replicas: the caller (LIME) builds its next batch while they run.
    const predict = (instances: Parameters<typeof predictProbabilities>[2]): Promise<number[][]> =>
      predictProbabilitiesAsync(loaded.model, contract, instances, loaded.vocabulary);
    const run = (body: {
      images?: unknown[];
      rows?: unknown[];
      texts?: unknown[];
    }): Promise<number[][]> => predict(parseInstances(contract, body));
    return {
      meta: {
        id: e.id,
        projectId: e.projectId,
        name: e.name,
        inputKind: e.inputKind,
        inputShape: [...e.inputShape],
        classNames: [...e.classNames],
        ...(e.featureNames ? { featureNames: [...e.featureNames] } : {}),
        datasetId: e.datasetId,
      },
      predictImages: async (batch) => {
        if (batch.length === 0) return [];
        // LIME sends thousands of perturbed images: check lengths, skip the array conversion.
        const len = e.inputShape.reduce((p, d) => p * d, 1);
        const bad = batch.findIndex((b) => b.length !== len);
        if (e.inputKind !== 'image' || bad >= 0) {
          return run({ images: batch.map((b) => Array.from(b)) });
        }
        return predict({ images: batch });
      },
      predictRows: async (batch) => (batch.length === 0 ? [] : run({ rows: batch })),
      predictTexts: async (batch) => (batch.length === 0 ? [] : run({ texts: batch })),
      dispose: () => loaded.model.dispose(),
    };
  }

  async loadDataset(projectId: string, datasetId: string): Promise<Dataset> {
    return (await this.datasets.load(projectId, datasetId)).dataset;
  }

  resolveModel(projectId: string, ref: string): Promise<ModelRecord> {
    return this.models.get(projectId, ref);
  }

  resolveDataset(projectId: string, ref: string): Promise<{ id: string; name: string }> {
    return this.datasets.get(projectId, ref);
  }

  assertModelNameFree(projectId: string, name: string): Promise<void> {
    return this.models.assertNameFree(projectId, name);
  }

  findByJob(projectId: string, jobId: string): Promise<ModelRecord | null> {
    return this.models.findByJob(projectId, jobId);
  }

  async loadModel(projectId: string, modelId: string): Promise<TrainableModel> {
    await this.tf.ready();
    const { entity, model, vocabulary } = await this.models.load(projectId, modelId);
    return vocabulary ? { record: entity, model, vocabulary } : { record: entity, model };
  }

  loadSplits(projectId: string, datasetId: string): Promise<StoredDataset> {
    return this.datasets.load(projectId, datasetId);
  }

  registerFromJob(ctx: JobContext, model: tf.LayersModel, meta: NewModel): Promise<ModelRecord> {
    return this.models.registerFromJob(ctx, model, meta);
  }

  registerJobModel(
    projectId: string,
    jobId: string,
    model: tf.LayersModel,
    meta: NewModel,
  ): Promise<ModelRecord> {
    return this.models.registerJobModel(projectId, jobId, model, meta);
  }
}
