import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Dataset } from '../ml/data';
import {
  MODEL_REGISTRY,
  type InferenceModel,
  type ModelRegistryPort,
  type RegisteredModel,
} from '../models/model-registry.port';
import {
  NotFoundError,
  UnavailableError,
  UnprocessableError,
} from '../platform/errors/domain-error';
import { PREDICT_PROVIDER_FROM_REGISTRY } from './interpret.module';
import {
  explainableFromInference,
  MAX_STATISTICS_ROWS,
  RegistryPredictProvider,
} from './model-registry.adapter';
import { PREDICT_PROVIDER, type PredictProvider } from './predict-provider';
import type { ImageModel, TabularModel } from './core/explainable-model';

function inference(meta: Partial<RegisteredModel>, seen: Float32Array[][] = []): InferenceModel {
  return {
    meta: {
      id: 'm1',
      projectId: 'p',
      name: 'm',
      inputKind: 'tabular',
      inputShape: [2],
      classNames: ['a', 'b'],
      datasetId: 'd1',
      ...meta,
    },
    predictRows: async (rows) => rows.map(() => [0.5, 0.5]),
    predictTexts: async (texts) => texts.map(() => [0.5, 0.5]),
    predictImages: async (batch) => {
      seen.push(batch);
      return batch.map(() => [0.5, 0.5]);
    },
    dispose: () => undefined,
  };
}

const tabular = (names: string[], n = 4) =>
  new Dataset(
    {
      kind: 'tabular',
      featureNames: names,
      rows: Array.from({ length: n }, (_, i) => names.map((_, j) => i * 10 + j)),
    },
    new Array<number>(n).fill(0),
    ['a', 'b'],
  );

function rejects(fn: () => unknown, field: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UnprocessableError);
    assert.equal(e.problems[0].field, field);
    assert.match(e.problems[0].message, message);
    return true;
  });
}

describe('explainableFromInference (registered model + data set -> interpret model)', () => {
  test('tabular: feature count and names must match the model; generic CSV column names take the model names', () => {
    const m = inference({ featureNames: ['x', 'y'] });
    rejects(
      () => explainableFromInference(m, tabular(['x', 'y', 'z'])),
      'dataset',
      /has 3 features \(x, y, z\) but model m1 takes 2 \(x, y\)/,
    );
    rejects(
      () => explainableFromInference(m, tabular(['y', 'x']), 'model.datasetId'),
      'model.datasetId',
      /feature 0 is "y" but model m1 expects "x"/,
    );
    const ok = explainableFromInference(m, tabular(['column_0', 'column_1'])) as TabularModel;
    assert.deepEqual(ok.featureNames, ['x', 'y']);
    rejects(
      () => explainableFromInference(inference({ datasetId: null }), null),
      'dataset',
      /required: model m1 has no training data set/,
    );
  });

  test('tabular: LIME statistics come from evenly spaced rows, at most MAX_STATISTICS_ROWS', () => {
    const n = MAX_STATISTICS_ROWS * 2 + 1;
    const m = explainableFromInference(inference({}), tabular(['x', 'y'], n)) as TabularModel;
    assert.equal(m.trainingData.length, MAX_STATISTICS_ROWS);
    // Stride n / max = 2.0002: rows 0, 2, 4, ... (hand-computed floor(k * stride)).
    assert.deepEqual(
      m.trainingData.slice(0, 3).map((r) => r[0]),
      [0, 20, 40],
    );
    assert.equal(m.dataset?.length, n);
    assert.deepEqual(m.dataset?.at(n - 1), [(n - 1) * 10, (n - 1) * 10 + 1]);
  });

  test('image: a one-channel model sees the channel mean; a grey data set is replicated to RGB', async () => {
    const seen: Float32Array[][] = [];
    const grey = new Dataset(
      {
        kind: 'image',
        shape: { height: 2, width: 2, channels: 1 },
        pixels: [Float32Array.of(0, 0.25, 0.5, 1)],
      },
      [0],
      ['a', 'b'],
    );
    const m = explainableFromInference(
      inference({ inputKind: 'image', inputShape: [2, 2, 1] }, seen),
      grey,
    ) as ImageModel;
    assert.deepEqual(m.inputShape, [2, 2, 3]);
    const rgb = m.dataset?.at(0);
    assert.deepEqual(
      Array.from(rgb?.data ?? []),
      [0, 0, 0, 0.25, 0.25, 0.25, 0.5, 0.5, 0.5, 1, 1, 1],
    );
    await m.predict([
      { width: 2, height: 2, data: Float32Array.of(0.3, 0.6, 0.9, 0, 0, 0.3, 1, 1, 1, 0, 0, 0) },
    ]);
    // (0.3 + 0.6 + 0.9) / 3 = 0.6, 0.3 / 3 = 0.1, 1, 0.
    assert.deepEqual(
      Array.from(seen[0][0]).map((v) => Math.round(v * 1e6) / 1e6),
      [0.6, 0.1, 1, 0],
    );
    rejects(
      () =>
        explainableFromInference(inference({ inputKind: 'image', inputShape: [3, 3, 1] }), grey),
      'dataset',
      /holds 2x2x1 images but model m1 takes 3x3x1/,
    );
    rejects(
      () => explainableFromInference(inference({ inputKind: 'image', inputShape: [4, 4] }), null),
      'model',
      /input shape \[4, 4\]/,
    );
  });

  test('a data set of another input kind is a 422 naming both kinds', () => {
    rejects(
      () =>
        explainableFromInference(
          inference({ inputKind: 'text', inputShape: [1] }),
          tabular(['x', 'y']),
        ),
      'dataset',
      /holds tabular data but model m1 takes text inputs/,
    );
  });
});

/** A registry of one tabular model m1 of project p1, trained on d1 (2 features); d3 has 3. */
let disposed = 0;
const registry: ModelRegistryPort = {
  async loadForInference(projectId, modelId) {
    if (projectId !== 'p1' || modelId !== 'm1') throw new NotFoundError('model', modelId);
    return {
      ...inference({ projectId: 'p1', featureNames: ['x', 'y'] }),
      dispose: () => disposed++,
    };
  },
  async loadDataset(projectId, datasetId) {
    if (projectId !== 'p1' || !['d1', 'd3'].includes(datasetId))
      throw new NotFoundError('dataset', datasetId);
    return tabular(datasetId === 'd3' ? ['x', 'y', 'z'] : ['x', 'y'], 1);
  },
};

@Global()
@Module({
  providers: [{ provide: MODEL_REGISTRY, useValue: registry }],
  exports: [MODEL_REGISTRY],
})
class RegistryModule {}

describe('RegistryPredictProvider (the model registry port as a PredictProvider)', () => {
  test("the model's own data set by default, another by id; a misfit disposes the model", async () => {
    const provider = new RegistryPredictProvider(() => registry);
    const model = await provider.load('m1', { projectId: 'p1' });
    assert.equal(model.inputKind === 'tabular' && model.trainingData.length, 1);
    await assert.rejects(provider.load('m1', { projectId: 'p2' }), NotFoundError);
    const before = disposed;
    await assert.rejects(
      provider.load('m1', { projectId: 'p1' }, { dataset: 'd3' }),
      /dataset: has 3 features/,
    );
    assert.equal(disposed, before + 1);
    await assert.rejects(
      provider.load('m1', { projectId: 'p1' }, { dataset: 'd9' }),
      NotFoundError,
    );
  });

  test('in the app: MODEL_REGISTRY is looked up lazily; without it the app builds and loads are a 503', async () => {
    const bare = await Test.createTestingModule({
      providers: [PREDICT_PROVIDER_FROM_REGISTRY],
    }).compile();
    await assert.rejects(
      bare.get<PredictProvider>(PREDICT_PROVIDER).load('m1', { projectId: 'p1' }),
      UnavailableError,
    );
    await bare.close();
    const app = await Test.createTestingModule({
      imports: [RegistryModule],
      providers: [PREDICT_PROVIDER_FROM_REGISTRY],
    }).compile();
    const model = await app.get<PredictProvider>(PREDICT_PROVIDER).load('m1', { projectId: 'p1' });
    assert.equal(model.classNames.length, 2);
    await app.close();
  });
});
