import type { ModuleRef } from '@nestjs/core';
import type { Dataset } from '../ml/data';
import {
  MODEL_REGISTRY,
  type InferenceModel,
  type ModelRegistryPort,
  type RegisteredModel,
} from '../registry/model-registry.port';
import { UnavailableError, UnprocessableError } from '../platform/errors/domain-error';
import type { DataPool, ExplainableModel } from './core/explainable-model';
import { greyToRgb } from './core/instances';
import type { RgbImage } from './core/types';
import type { LoadOptions, PredictProvider } from './predict-provider';

/*
 * The one adapter between the explanations and the model registry (its port is the only thing
 * this capability knows of it): the port's inference model and data set become the explainers'
 * ExplainableModel. The CLI's model files (local-explain.ts) go through explainableFromInference
 * too.
 */

export type { InferenceModel };

/**
 * MODEL_REGISTRY from the app's container, looked up on each use (strict: false) so that the
 * app starts, and answers 503 on explanations, when no module provides it.
 */
export function registryLookup(moduleRef: Pick<ModuleRef, 'get'>): () => ModelRegistryPort {
  return () => {
    try {
      return moduleRef.get<ModelRegistryPort>(MODEL_REGISTRY, { strict: false });
    } catch {
      throw new UnavailableError(
        'no model registry is installed in this service (RegistryModule provides MODEL_REGISTRY)',
      );
    }
  };
}

/** The PredictProvider of the service and the workers: registered models and data sets. */
export class RegistryPredictProvider implements PredictProvider {
  constructor(private readonly registry: () => ModelRegistryPort) {}

  /**
   * The model of the caller's project with the data set `options.dataset` (default: the one it
   * was trained on), checked against each other. Unknown or foreign ids are NotFoundErrors (404).
   */
  async load(
    modelId: string,
    scope: { projectId: string },
    options: LoadOptions = {},
  ): Promise<ExplainableModel> {
    const registry = this.registry();
    const model = await registry.loadForInference(scope.projectId, modelId);
    try {
      const id = options.dataset ?? model.meta.datasetId;
      const dataset = id === null ? null : await registry.loadDataset(scope.projectId, id);
      return explainableFromInference(
        model,
        dataset,
        options.dataset ? 'dataset' : 'model.datasetId',
      );
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
}

/** Tabular LIME takes its feature statistics from at most this many rows (evenly spaced). */
export const MAX_STATISTICS_ROWS = 5000;

function mismatch(field: string, message: string): UnprocessableError {
  return new UnprocessableError(`${field}: ${message}`, [{ field, message }]);
}

/** Evenly spaced rows (deterministic, keeps the data set's order and spread). */
function strided<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = items.length / max;
  return Array.from({ length: max }, (_, k) => items[Math.floor(k * step)]);
}

function lazyPool<S, I>(items: readonly S[], map: (item: S) => I): DataPool<I> {
  return {
    length: items.length,
    at: (i) => (i >= 0 && i < items.length ? map(items[i]) : undefined),
  };
}

/** Mean of the RGB channels: what a one-channel model sees of an RGB (or replicated grey) image. */
function rgbToGrey(data: Float32Array): Float32Array {
  const grey = new Float32Array(data.length / 3);
  for (let i = 0; i < grey.length; i++)
    grey[i] = (data[3 * i] + data[3 * i + 1] + data[3 * i + 2]) / 3;
  return grey;
}

const GENERIC_COLUMN = /^column_\d+$/;

/**
 * Checks that a data set fits a registered model (input kind, feature count and names, image
 * size) and returns the interpret core's view of the pair: predict, class names, feature names,
 * LIME's sampling statistics (tabular) and the pool `sampleSize` instances are drawn from.
 * `datasetField` names the data set in problems (`dataset` when the caller chose it).
 * Throws UnprocessableError naming the mismatch.
 */
export function explainableFromInference(
  model: InferenceModel,
  dataset: Dataset | null,
  datasetField = 'dataset',
): ExplainableModel {
  const meta: RegisteredModel = model.meta;
  const dispose = (): void => model.dispose();
  if (dataset && dataset.kind !== meta.inputKind) {
    throw mismatch(
      datasetField,
      `holds ${dataset.kind} data but model ${meta.id} takes ${meta.inputKind} inputs`,
    );
  }
  if (meta.inputKind === 'tabular') {
    const width = meta.featureNames?.length ?? meta.inputShape.reduce((p, d) => p * d, 1);
    const inputs = dataset?.inputs.kind === 'tabular' ? dataset.inputs : null;
    if (inputs) {
      const names = inputs.featureNames;
      if (names.length !== width) {
        throw mismatch(
          datasetField,
          `has ${names.length} features (${names.join(', ')}) but model ${meta.id} takes ${width}` +
            (meta.featureNames ? ` (${meta.featureNames.join(', ')})` : ''),
        );
      }
      const differs = meta.featureNames?.findIndex((n, j) => n !== names[j]) ?? -1;
      if (differs >= 0 && !names.every((n) => GENERIC_COLUMN.test(n))) {
        throw mismatch(
          datasetField,
          `feature ${differs} is "${names[differs]}" but model ${meta.id} expects "${meta.featureNames?.[differs]}" there`,
        );
      }
    } else {
      throw mismatch(
        'dataset',
        meta.datasetId === null
          ? `required: model ${meta.id} has no training data set to take LIME's feature statistics from`
          : 'no data set loaded for a tabular model',
      );
    }
    const featureNames =
      meta.featureNames ??
      (inputs.featureNames.every((n) => GENERIC_COLUMN.test(n))
        ? Array.from({ length: width }, (_, j) => `x${j}`)
        : [...inputs.featureNames]);
    return {
      inputKind: 'tabular',
      classNames: meta.classNames,
      featureNames,
      predict: (rows) => model.predictRows(rows),
      trainingData: strided(inputs.rows, MAX_STATISTICS_ROWS).map((r) => [...r]),
      dataset: lazyPool(inputs.rows, (r) => [...r]),
      dispose,
    };
  }
  if (meta.inputKind === 'text') {
    const inputs = dataset?.inputs.kind === 'text' ? dataset.inputs : null;
    return {
      inputKind: 'text',
      classNames: meta.classNames,
      predict: (texts) => model.predictTexts(texts),
      ...(inputs ? { dataset: lazyPool(inputs.texts, (t) => t) } : {}),
      dispose,
    };
  }
  const [height, width, channels] = meta.inputShape;
  if (meta.inputShape.length !== 3 || (channels !== 1 && channels !== 3)) {
    throw mismatch(
      'model',
      `model ${meta.id} has input shape [${meta.inputShape.join(', ')}]; image explanations need [height, width, 1 or 3]`,
    );
  }
  const inputs = dataset?.inputs.kind === 'image' ? dataset.inputs : null;
  if (inputs) {
    const s = inputs.shape;
    if (s.height !== height || s.width !== width || (s.channels !== 1 && s.channels !== 3)) {
      throw mismatch(
        datasetField,
        `holds ${s.height}x${s.width}x${s.channels} images but model ${meta.id} takes ${height}x${width}x${channels}`,
      );
    }
  }
  const toRgb = (pixels: Float32Array): RgbImage => ({
    width,
    height,
    data: pixels.length === width * height ? greyToRgb(pixels) : pixels,
  });
  return {
    inputKind: 'image',
    classNames: meta.classNames,
    inputShape: [height, width, 3],
    predict: (batch) =>
      model.predictImages(batch.map((img) => (channels === 1 ? rgbToGrey(img.data) : img.data))),
    ...(inputs ? { dataset: lazyPool(inputs.pixels, toRgb) } : {}),
    dispose,
  };
}
