import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Dataset } from '../ml/data';
import { MODEL_REGISTRY, type ModelRegistryPort } from '../registry/model-registry.port';
import { NotFoundError, UnavailableError } from '../platform/errors/domain-error';
import { RegistryPredictProvider } from './registry-provider';

let disposed = 0;
const registry: ModelRegistryPort = {
  async loadForInference(projectId, modelId) {
    if (projectId !== 'p1' || modelId !== 'm1') throw new NotFoundError('model', modelId);
    return {
      meta: {
        id: 'm1',
        projectId: 'p1',
        name: 'm',
        inputKind: 'tabular',
        inputShape: [2],
        classNames: ['a', 'b'],
        featureNames: ['x', 'y'],
        datasetId: 'd1',
      },
      predictRows: async (rows) => rows.map(() => [0.5, 0.5]),
      predictImages: async () => [],
      predictTexts: async () => [],
      dispose: () => disposed++,
    };
  },
  async loadDataset(projectId, datasetId) {
    const width = datasetId === 'd3' ? 3 : 2;
    if (projectId !== 'p1' || !['d1', 'd3'].includes(datasetId))
      throw new NotFoundError('dataset', datasetId);
    return new Dataset(
      {
        kind: 'tabular',
        featureNames: ['x', 'y', 'z'].slice(0, width),
        rows: [new Array<number>(width).fill(1)],
      },
      [0],
      ['a', 'b'],
    );
  },
};

@Global()
@Module({ providers: [{ provide: MODEL_REGISTRY, useValue: registry }], exports: [MODEL_REGISTRY] })
class RegistryModule {}

describe('RegistryPredictProvider (MODEL_REGISTRY resolved lazily)', () => {
  test('without a registry module the app still builds and explanations are a 503', async () => {
    const app = await Test.createTestingModule({ providers: [RegistryPredictProvider] }).compile();
    await assert.rejects(app.get(RegistryPredictProvider).open('p1', 'm1'), UnavailableError);
    await app.close();
  });

  test("with one: the model's own data set by default, another by id; a misfit disposes the model", async () => {
    const app = await Test.createTestingModule({
      imports: [RegistryModule],
      providers: [RegistryPredictProvider],
    }).compile();
    const provider = app.get(RegistryPredictProvider);
    const model = await provider.open('p1', 'm1');
    assert.equal(model.inputKind === 'tabular' && model.trainingData.length, 1);
    await assert.rejects(provider.open('p2', 'm1'), NotFoundError);
    const before = disposed;
    await assert.rejects(provider.open('p1', 'm1', 'd3'), /dataset: has 3 features/);
    assert.equal(disposed, before + 1);
    await assert.rejects(provider.open('p1', 'm1', 'd9'), NotFoundError);
    await app.close();
  });
});
