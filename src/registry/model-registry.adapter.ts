import { Injectable } from '@nestjs/common';
import type { Dataset } from '../ml/data';
import { DatasetsService } from '../datasets/datasets.service';
import { parseInstances } from './core/encode';
import { InferenceModel, ModelRegistryPort } from './model-registry.port';
import { contractOf, ModelsService, predictProbabilities } from './models.service';
import { TfRuntime } from '../ml/tf-runtime';

/** MODEL_REGISTRY for the other capabilities (explanations, NAS): fresh models they dispose. */
@Injectable()
export class ModelRegistry implements ModelRegistryPort {
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
    const run = (body: { images?: unknown[]; rows?: unknown[]; texts?: unknown[] }): number[][] =>
      predictProbabilities(loaded, parseInstances(contract, body));
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
        return predictProbabilities(loaded, { images: batch });
      },
      predictRows: async (batch) => (batch.length === 0 ? [] : run({ rows: batch })),
      predictTexts: async (batch) => (batch.length === 0 ? [] : run({ texts: batch })),
      dispose: () => loaded.model.dispose(),
    };
  }

  async loadDataset(projectId: string, datasetId: string): Promise<Dataset> {
    return (await this.datasets.load(projectId, datasetId)).dataset;
  }
}
