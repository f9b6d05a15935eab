import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { UnavailableError } from '../platform/errors/domain-error';
import type { JobContext } from '../platform/jobs/job-handler';
import { MODEL_REGISTRY, type ModelRegistryPort } from '../registry/model-registry.port';
import { explainableFromInference } from './inference-adapter';
import type { ExplainableModel, LoadOptions, PredictProvider } from './model-provider';

/**
 * The PredictProvider of the service and the workers: registered models and data sets through
 * the model registry port. The registry is resolved lazily (ModuleRef, strict: false) so that
 * the app starts, and answers 503 on explanations, when no module provides MODEL_REGISTRY.
 */
@Injectable()
export class RegistryPredictProvider implements PredictProvider {
  constructor(private readonly moduleRef: ModuleRef) {}

  private registry(): ModelRegistryPort {
    try {
      return this.moduleRef.get<ModelRegistryPort>(MODEL_REGISTRY, { strict: false });
    } catch {
      throw new UnavailableError(
        'no model registry is installed in this service (the models module provides MODEL_REGISTRY)',
      );
    }
  }

  load(model: string, ctx: JobContext, options: LoadOptions = {}): Promise<ExplainableModel> {
    return this.open(ctx.projectId, model, options.dataset);
  }

  /**
   * The model of `projectId` with the data set `datasetId` (default: the one it was trained on),
   * checked against each other. Unknown or foreign ids are NotFoundErrors (404).
   */
  async open(projectId: string, modelId: string, datasetId?: string): Promise<ExplainableModel> {
    const registry = this.registry();
    const model = await registry.loadForInference(projectId, modelId);
    try {
      const id = datasetId ?? model.meta.datasetId;
      const dataset = id === null ? null : await registry.loadDataset(projectId, id);
      return explainableFromInference(model, dataset, datasetId ? 'dataset' : 'model.datasetId');
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
}
