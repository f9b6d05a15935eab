import { Injectable } from '@nestjs/common';
import { DatasetsService } from '../models/datasets.service';
import { ModelsService } from '../models/models.service';
import { TfRuntime } from '../models/tf-runtime';
import { evaluateOn } from '../models/training-support';
import { LoadedModel, NasModelPort, RegisterModelInput } from './nas-model.port';
import { NasTrainingData, SplitOptions, toTrainingData } from './core/training-data';

/**
 * NAS_MODEL_PORT over the model and dataset registry (src/models/). A search only sees the
 * registered data set's train and validation splits, re-split by `validationFraction`: the test
 * split stays held out for the exported model's evaluation.
 */
@Injectable()
export class NasModelAdapter implements NasModelPort {
  constructor(
    private readonly models: ModelsService,
    private readonly datasets: DatasetsService,
    private readonly tf: TfRuntime,
  ) {}

  async loadTrainingData(
    projectId: string,
    datasetId: string,
    options: SplitOptions,
  ): Promise<NasTrainingData> {
    await this.tf.ready();
    const stored = await this.datasets.load(projectId, datasetId);
    const ds = stored.split.test.length
      ? stored.dataset.select([...stored.split.train, ...stored.split.validation])
      : stored.dataset;
    return toTrainingData(ds, options);
  }

  async loadModel(projectId: string, modelId: string): Promise<LoadedModel> {
    await this.tf.ready();
    const loaded = await this.models.load(projectId, modelId);
    const normalise = loaded.entity.preprocessing.normalise;
    return {
      model: loaded.model,
      name: loaded.entity.name,
      datasetId: loaded.entity.datasetId,
      encoding: {
        ...(loaded.vocabulary && { vocabulary: loaded.vocabulary }),
        ...(normalise && { normalise }),
      },
    };
  }

  /**
   * Registers a job's model. The name gets the job id's first 8 characters, so a second job on
   * the same source model does not collide. The input contract (kind, class and feature names,
   * text vocabulary) comes from the parent model when there is one, else from the data set.
   */
  async registerModel(projectId: string, input: RegisterModelInput): Promise<{ id: string }> {
    const parent = input.parentModelId
      ? await this.models.getById(projectId, input.parentModelId)
      : null;
    const stored = await this.datasets.load(projectId, input.datasetId);
    let contract: {
      inputKind: 'image' | 'tabular' | 'text';
      classNames: string[];
      featureNames: string[] | null;
    };
    if (parent) {
      contract = parent;
    } else {
      const ds = stored.dataset;
      contract = {
        inputKind: ds.kind,
        classNames: [...ds.classNames],
        featureNames: ds.inputs.kind === 'tabular' ? [...ds.inputs.featureNames] : null,
      };
    }
    const preprocessing = { ...(parent?.preprocessing ?? {}), ...(input.preprocessing ?? {}) };
    const vocabulary = (parent && (await this.models.vocabularyOf(parent))) ?? undefined;
    // Like every registered model: evaluated on the data set's test split, which the search
    // never saw (loadTrainingData keeps it out).
    const evaluation = evaluateOn(
      input.model,
      stored.dataset.select(stored.split.test),
      {
        inputKind: contract.inputKind,
        inputShape: input.model.inputs[0].shape.slice(1) as number[],
        featureNames: contract.featureNames,
        preprocessing,
      },
      vocabulary,
    );
    const entity = await this.models.registerJobModel(projectId, input.jobId, input.model, {
      name: `${input.name}-${input.jobId.slice(0, 8)}`,
      architecture: parent?.architecture ?? 'nas',
      inputKind: contract.inputKind,
      classNames: [...contract.classNames],
      featureNames: contract.featureNames ? [...contract.featureNames] : null,
      preprocessing,
      vocabulary,
      baseModelId: input.parentModelId ?? null,
      datasetId: input.datasetId,
      method: parent ? 'prune' : 'nas',
      metrics: input.metrics,
      evaluation: evaluation ? { ...evaluation } : null,
    });
    return { id: entity.id };
  }
}
