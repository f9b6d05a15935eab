import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { FakeJobContext, scratchStore } from '../../test/support/registry-fakes';
import { Dataset } from '../ml/data';
import { selectBackend } from '../ml/backend';
import { saveModelToBuffers } from '../ml/io/buffers';
import { buildZooModel } from '../ml/zoo/zoo';
import type { JobContext } from '../platform/jobs/job-handler';
import { JobCancelledError } from '../platform/jobs/job-handler';
import type { ModelRecord, NewModel, TrainingRegistryPort } from '../registry/model-registry.port';
import { runTrainingJob, TrainedModel, TrainingJob, TrainingRun } from './training-job';

/** The registration side of the port, in memory. */
class FakeRegistry implements Pick<TrainingRegistryPort, 'findByJob' | 'registerFromJob'> {
  readonly registered: { jobId: string; meta: NewModel; record: ModelRecord }[] = [];
  async findByJob(_projectId: string, jobId: string): Promise<ModelRecord | null> {
    return this.registered.find((r) => r.jobId === jobId)?.record ?? null;
  }
  async registerFromJob(ctx: JobContext, _m: tf.LayersModel, meta: NewModel) {
    const record: ModelRecord = {
      id: `model-${this.registered.length + 1}`,
      name: meta.name,
      architecture: meta.architecture,
      inputKind: meta.inputKind,
      inputShape: [2],
      classNames: meta.classNames,
      featureNames: null,
      preprocessing: {},
      datasetId: null,
      params: '6',
      flops: 8,
    };
    this.registered.push({ jobId: ctx.jobId, meta, record });
    return record;
  }
}

const test2 = new Dataset(
  {
    kind: 'tabular',
    featureNames: ['a', 'b'],
    rows: [
      [1, 0],
      [0, 1],
    ],
  },
  [0, 1],
  ['x', 'y'],
);

function job(
  stoppedBy: TrainedModel['stoppedBy'],
  seen: tf.LayersModel[],
): TrainingJob<{ n: number }> {
  return {
    async train(spec, run) {
      const model = buildZooModel('mlp', { inputShape: [2], numClasses: 2, hidden: [2], seed: 1 });
      seen.push(model);
      await run.reportEpoch({ epoch: 0, loss: 0.5, learningRate: 0.1, durationMs: 1 }, spec.n, {
        from: 0,
        to: 0.9,
      });
      return {
        model,
        stoppedBy,
        history: [{ epoch: 2, loss: 0.5, learningRate: 0.1, durationMs: 1 }],
        resumedEpochs: 2,
        test: {
          dataset: test2,
          contract: { inputKind: 'tabular', inputShape: [2], preprocessing: {} },
        },
        entry: {
          name: 'trained',
          architecture: 'mlp',
          inputKind: 'tabular',
          classNames: ['x', 'y'],
          method: 'pretrain',
          metrics: { history: [] },
        },
        summary: (r) => ({ flops: r.flops }),
      };
    },
  };
}

describe('the training-job use case', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  const deps = (registry: FakeRegistry) => ({
    registry,
    backend: async () => 'cpu',
  });

  test('registers with the test evaluation and the backend, reports the common result, disposes the model', async () => {
    const registry = new FakeRegistry();
    const { store, remove } = scratchStore();
    const ctx = new FakeJobContext(store);
    const models: tf.LayersModel[] = [];
    const result = await runTrainingJob(job('completed', models), { n: 3 }, ctx, deps(registry));
    assert.deepEqual(Object.keys(result), [
      'modelId',
      'modelName',
      'flops',
      'backend',
      'epochs',
      'resumedFromEpoch',
      'stoppedBy',
      'final',
      'testAccuracy',
    ]);
    assert.equal(result.modelId, 'model-1');
    assert.equal(result.epochs, 3);
    assert.equal(result.resumedFromEpoch, 2);
    const { meta } = registry.registered[0];
    assert.equal(meta.metrics?.backend, 'cpu');
    assert.equal((meta.evaluation as { count: number }).count, 2);
    assert.equal(result.testAccuracy, (meta.evaluation as { accuracy: number }).accuracy);
    assert.deepEqual(ctx.progressed.at(-1), [1, 'registered model trained']);
    assert.deepEqual(
      ctx.metrics.map(([n]) => n).sort(),
      ['learningRate', 'loss', 'durationMs'].sort(),
    );
    assert.throws(() => models[0].predict(tf.zeros([1, 2])), /disposed/);
    remove();
  });

  test('a re-run of a job that registered its model returns it without training', async () => {
    const registry = new FakeRegistry();
    const { store, remove } = scratchStore();
    const ctx = new FakeJobContext(store);
    const models: tf.LayersModel[] = [];
    await runTrainingJob(job('completed', models), { n: 1 }, ctx, deps(registry));
    const again = await runTrainingJob(job('completed', models), { n: 1 }, ctx, deps(registry));
    assert.deepEqual(again, { modelId: 'model-1', backend: 'cpu', resumed: true });
    assert.equal(models.length, 1);
    remove();
  });

  test('a cancelled run registers nothing and still frees its model', async () => {
    const registry = new FakeRegistry();
    const { store, remove } = scratchStore();
    const models: tf.LayersModel[] = [];
    await assert.rejects(
      runTrainingJob(job('cancelled', models), { n: 1 }, new FakeJobContext(store), deps(registry)),
      JobCancelledError,
    );
    assert.equal(registry.registered.length, 0);
    assert.throws(() => models[0].predict(tf.zeros([1, 2])), /disposed/);
    remove();
  });

  test('TrainingRun: a checkpoint stores weights and files in the epoch slot, then the state a re-queued attempt resumes from', async () => {
    const { store, remove } = scratchStore();
    const ctx = new FakeJobContext(store);
    const run = new TrainingRun(ctx, 'cpu');
    const model = buildZooModel('mlp', { inputShape: [2], numClasses: 2, hidden: [2], seed: 1 });
    const weights = await saveModelToBuffers(model);
    model.dispose();
    await run.checkpoint(3, weights, { epochsDone: 3, note: 'x' }, { 'dynamics.json': '[1]' });
    assert.deepEqual(ctx.checkpoints, [{ epochsDone: 3, note: 'x' }]);
    const resumed = new TrainingRun(
      new FakeJobContext(store, ctx.projectId, ctx.jobId, ctx.checkpoints[0]),
      'cpu',
    );
    const state = resumed.resumeState(
      (v): v is { epochsDone: number; note: string } => typeof v === 'object' && v !== null,
    );
    assert.equal(state?.epochsDone, 3);
    assert.deepEqual((await resumed.readWeights(3)).weights, weights.weights);
    assert.equal((await resumed.readCheckpointFile(3, 'dynamics.json')).toString(), '[1]');
    assert.equal(
      run.resumeState((v): v is { epochsDone: number } => v !== undefined),
      undefined,
    );
    remove();
  });
});
