import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { modelLineage } from './lineage';

const columns = {
  baseModelId: null,
  datasetId: null,
  method: 'collab-esp-clr',
  jobId: 'j1',
  metrics: {
    federationId: 'j1',
    siteDatasetIds: ['d0', 'd1'],
    sharedDatasetId: 'd2',
    remoteSites: ['far'],
  },
};

describe('model lineage (API and model card)', () => {
  test('a federated global model: its site data sets and the shared set from its metrics', () => {
    assert.deepEqual(modelLineage(columns), {
      baseModelId: null,
      datasetId: null,
      method: 'collab-esp-clr',
      jobId: 'j1',
      siteDatasetIds: ['d0', 'd1'],
      sharedDatasetId: 'd2',
    });
    // No shared set (null in the metrics, or a row written before the field existed).
    const { sharedDatasetId: _, ...older } = columns.metrics;
    assert.deepEqual(modelLineage({ ...columns, metrics: older }).sharedDatasetId, null);
    assert.deepEqual(
      modelLineage({ ...columns, metrics: { siteDatasetIds: 'd0' } }).siteDatasetIds,
      [],
      'a malformed list is no data set, not an error',
    );
  });

  test('any other model: the four columns, nothing more (a codistill site model has its datasetId)', () => {
    const pretrain = { ...columns, method: 'pretrain', datasetId: 'd9', baseModelId: 'b' };
    assert.deepEqual(modelLineage(pretrain), {
      baseModelId: 'b',
      datasetId: 'd9',
      method: 'pretrain',
      jobId: 'j1',
    });
    const codistillSite = { ...columns, method: 'collab-codistill', datasetId: 'd1' };
    assert.deepEqual(Object.keys(modelLineage(codistillSite)), [
      'baseModelId',
      'datasetId',
      'method',
      'jobId',
    ]);
  });
});
