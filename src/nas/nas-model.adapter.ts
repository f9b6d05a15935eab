import { Inject, Injectable } from '@nestjs/common';
import { TfRuntime } from '../ml/tf-runtime';
import { MODEL_REGISTRY, TrainingRegistryPort } from '../registry/model-registry.port';
import { evaluateOn } from '../transfer/training-support';
import { LoadedModel, NasModelPort, RegisterModelInput } from './nas-model.port';
import { NasTrainingData, SplitOptions, toTrainingData } from './core/training-data';

/**
 * NAS_MODEL_PORT over the one model and data set registry port (MODEL_REGISTRY). A search only
 * sees the registered data set's train and validation splits, re-split by `validationFraction`:
 * the test split stays held out for the exported model's evaluation.
 */
@Injectable()
export class NasModelAdapter implements NasModelPort {
  constructor(
    @Inject(MODEL_REGISTRY) private readonly registry: TrainingRegistryPort,
    private readonly tf: TfRuntime,
  ) {}

  async loadTrainingData(
    projectId: string,
    datasetId: string,
    options: SplitOptions,
  ): Promise<NasTrainingData> {
    await this.tf.ready();
    const stored = await this.registry.loadSplits(projectId, datasetId);
    const ds = stored.split.test.length
      ? stored.dataset.select([...stored.split.train, ...stored.split.validation])
      : stored.dataset;
    return toTrainingData(ds, options);
  }

  async loadModel(projectId: string, modelId: string): Promise<LoadedModel> {
    const loaded = await this.registry.loadModel(projectId, modelId);
    const normalise = loaded.record.preprocessing.normalise;
    return {
      model: loaded.model,
      name: loaded.record.name,
      datasetId: loaded.record.datasetId,
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
      ? await this.registry.resolveModel(projectId, input.parentModelId)
      : null;
    const stored = await this.registry.loadSplits(projectId, input.datasetId);
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
    const vocabulary = input.vocabulary;
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
    const entity = await this.registry.registerJobModel(projectId, input.jobId, input.model, {
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
