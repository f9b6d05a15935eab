import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FakeJobContext, InMemoryModelRows, scratchStore } from '../../test/support/registry-fakes';
import { withLeakCheck } from '../../test/support/tensors';
import { Vocabulary } from '../ml/data';
import { selectBackend } from '../ml/backend';
import { saveModelToBuffers } from '../ml/io/buffers';
import { buildZooModel } from '../ml/zoo/zoo';
import type { Principal } from '../platform/auth/projects.service';
import {
  ConflictError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors/domain-error';
import { InferenceCache } from './inference-cache';
import { ModelStorage } from './model-storage';
import { ModelsService } from './models.service';

const principal: Principal = { projectId: 'p1', projectName: 'p', keyId: 'k', role: 'admin' };
const mlp = (seed = 0) =>
  buildZooModel('mlp', { inputShape: [3], numClasses: 2, seed, hidden: [4] });

describe('ModelsService (in-memory rows, scratch artifact store)', () => {
  const scratch = scratchStore();
  let rows: InMemoryModelRows;
  let models: ModelsService;
  const folder = (...parts: string[]) => path.join(scratch.root, 'p1', ...parts);

  before(async () => {
    await selectBackend('cpu');
    rows = new InMemoryModelRows();
    models = new ModelsService(rows, new ModelStorage(scratch.store));
  });
  after(() => scratch.remove());

  test('init: a seeded zoo model under <project>/models/<id>/ and its row with facts and default names', async () => {
    const m = await models.initModel(principal, {
      name: 'base',
      architecture: 'mlp',
      inputShape: [3],
      classNames: ['no', 'yes'],
      hidden: [4],
    });
    assert.equal(m.method, 'init');
    assert.deepEqual(m.featureNames, ['feature_0', 'feature_1', 'feature_2']);
    assert.equal(Number(m.params), 3 * 4 + 4 + 4 * 2 + 2);
    assert.equal(m.modelJsonPath, path.join('p1', 'models', m.id, 'model.json'));
    assert.deepEqual(fs.readdirSync(folder('models', m.id)).sort(), ['model.json', 'weights.bin']);
    await assert.rejects(
      models.initModel(principal, { ...initReq(), name: 'base' }),
      ConflictError,
    );
    await assert.rejects(
      models.initModel(principal, { ...initReq(), architecture: 'text-classifier' }),
      ValidationError,
    );
  });

  test('a row that loses the race for its name removes the files it wrote (409)', async () => {
    const before = fs.readdirSync(folder('models')).length;
    rows.nameRace = true;
    await assert.rejects(
      models.initModel(principal, initReq()),
      /a model named fresh already exists/,
    );
    assert.equal(fs.readdirSync(folder('models')).length, before);
  });

  test('import: model.json and weights round-trip; class names checked against the outputs', async () => {
    const source = mlp(7);
    const buffers = await saveModelToBuffers(source);
    const manifest = JSON.parse(buffers.modelJson.toString('utf8')) as {
      weightsManifest: { paths: string[] }[];
    };
    const files = [
      { originalname: 'model.json', fieldname: 'model.json', buffer: buffers.modelJson },
      {
        originalname: manifest.weightsManifest[0].paths[0],
        fieldname: 'weights',
        buffer: buffers.weights,
      },
    ];
    await assert.rejects(
      models.importModel(principal, files, { name: 'imp', classNames: 'a,b,c' }),
      (e: unknown) => e instanceof ValidationError && e.problems[0].field === 'classNames',
    );
    const m = await models.importModel(principal, files, { name: 'imp', classNames: '["a","b"]' });
    assert.deepEqual([m.method, m.inputKind, m.classNames], ['import', 'tabular', ['a', 'b']]);
    const loaded = await models.load('p1', m.id);
    const x = tf.ones([1, 3]);
    const same = tf.tidy(
      () =>
        tf
          .sub(loaded.model.predict(x) as tf.Tensor, source.predict(x) as tf.Tensor)
          .abs()
          .max()
          .dataSync()[0],
    );
    assert.ok(same < 1e-6);
    tf.dispose([x]);
    loaded.model.dispose();
    source.dispose();
    await assert.rejects(models.load('p2', m.id), NotFoundError);
  });

  test('registerFromJob: files as the job artifacts, vocabulary included; a re-run returns the same row', async () => {
    const ctx = new FakeJobContext(scratch.store, 'p1', 'job-7');
    const model = mlp(1);
    const meta = {
      name: 'trained',
      architecture: 'mlp',
      inputKind: 'tabular' as const,
      classNames: ['a', 'b'],
      featureNames: ['x', 'y', 'z'],
      vocabulary: new Vocabulary(['<pad>', '<oov>', 'hello']),
      method: 'pretrain',
    };
    const first = await models.registerFromJob(ctx, model, meta);
    assert.equal(first.jobId, 'job-7');
    assert.equal(first.weightsPath, path.join('p1', 'job-7', 'weights.bin'));
    assert.equal(first.vocabularyPath, path.join('p1', 'job-7', 'vocabulary.json'));
    assert.deepEqual((await models.vocabularyOf(first))?.words, ['<pad>', '<oov>', 'hello']);
    const again = await models.registerFromJob(ctx, model, { ...meta, name: 'other' });
    assert.equal(again.id, first.id);
    assert.equal((await models.findByJob('p1', 'job-7'))?.id, first.id);
    await assert.rejects(
      models.registerFromJob(new FakeJobContext(scratch.store, 'p1', 'job-8'), model, {
        ...meta,
        name: 'three-classes',
        classNames: ['a', 'b', 'c'],
      }),
      UnprocessableError,
    );
    model.dispose();
  });

  test('registerJobModel: several models of one job, each returned again on a re-run by its name', async () => {
    const a = mlp(2);
    const meta = { architecture: 'mlp', inputKind: 'tabular' as const, classNames: ['a', 'b'] };
    const p50 = await models.registerJobModel('p1', 'job-9', a, {
      ...meta,
      name: 'p50',
      method: 'prune',
    });
    const p25 = await models.registerJobModel('p1', 'job-9', a, {
      ...meta,
      name: 'p25',
      method: 'prune',
    });
    assert.notEqual(p50.id, p25.id);
    const again = await models.registerJobModel('p1', 'job-9', a, {
      ...meta,
      name: 'p25',
      method: 'prune',
    });
    assert.equal(again.id, p25.id);
    a.dispose();
  });

  test('InferenceCache: predictions by name; a model is loaded once, at most 8 stay, evicted ones are disposed', async () => {
    const cache = new InferenceCache(models);
    const out = await cache.predict(principal, 'BASE', { rows: [[0, 1, 2]] });
    assert.equal(out.predictions.length, 1);
    const p = out.predictions[0];
    assert.ok(Math.abs(p.probabilities.no + p.probabilities.yes - 1) < 1e-5);
    assert.equal(p.label, p.classIndex === 0 ? 'no' : 'yes');
    await assert.rejects(cache.predict(principal, 'base', { images: [[0]] }), UnprocessableError);
    // Repeated predictions allocate no model: the cached one is reused.
    await withLeakCheck(() => cache.predict(principal, 'base', { rows: [[1, 1, 1]] }));
    const fill = async (from: number, to: number): Promise<void> => {
      for (let k = from; k < to; k++) {
        await models.initModel(principal, { ...initReq(), name: `m${k}` });
        await cache.predict(principal, `m${k}`, { rows: [[0, 0, 0]] });
      }
    };
    await fill(0, 8);
    assert.equal(cache.size, 8);
    // Full: each further model loaded evicts (and disposes) the least recently used one.
    await withLeakCheck(() => fill(8, 11));
    assert.equal(cache.size, 8);
  });
});

function initReq() {
  return {
    name: 'fresh',
    architecture: 'mlp',
    inputShape: [3],
    classNames: ['no', 'yes'],
    hidden: [4],
  };
}
