import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/ml/backend';
import { saveModelToBuffers } from '../../src/ml/io/buffers';
import { startTestApp, type TestApp } from '../support/app';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

/**
 * Explanations over the real model registry (src/registry) and a real worker process: a TF.js
 * model with known weights is imported through POST /v1/models, its data set uploaded as CSV,
 * and the explanation jobs run in the worker. The model is logistic, p(yes | x) =
 * sigmoid(3a - 2b), so LIME and NormLIME must put a and b first (Ahern et al. 2019).
 */
function csv(columns: string[], rows: number[][], label: (r: number[]) => string): Buffer {
  const lines = [[...columns, 'label'].join(',')];
  for (const r of rows) lines.push([...r.map((v) => v.toFixed(4)), label(r)].join(','));
  return Buffer.from(lines.join('\n'));
}

const rowsOf = (n: number, d: number) =>
  Array.from({ length: n }, (_, i) =>
    Array.from({ length: d }, (_, j) => Math.sin(1.7 * i + 2.3 * j + 0.5 * i * j)),
  );

describe('explanations over the real model registry and a worker process', () => {
  let app: TestApp;
  let modelId: string;
  let datasetId: string;
  let threeId: string;

  async function upload(name: string, file: Buffer): Promise<string> {
    const res = await app.uploadDataset({ name, labelColumn: 'label' }, file, `${name}.csv`);
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  }

  before(async () => {
    await selectBackend('cpu');
    // Training and explaining block the worker's event loop (see models.e2e); no test here kills a
    // worker, so the heartbeat timeout is long rather than the suite's 3 s.
    app = await startTestApp({
      workers: 1,
      coordinators: 0, // no study or NAS driver here: one worker process fewer to start
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
    const net = tf.sequential({
      layers: [tf.layers.dense({ units: 2, inputShape: [4], activation: 'softmax' })],
    });
    net.setWeights([tf.tensor2d([3, -2, 0, 0].map((w) => [0, w])), tf.zeros([2])]);
    const buffers = await saveModelToBuffers(net);
    net.dispose();
    const imported = await app.http
      .post('/v1/models')
      .set('Authorization', `Bearer ${app.key}`)
      .field('name', 'logistic')
      .field('inputKind', 'tabular')
      .field('classNames', 'no,yes')
      .field('featureNames', 'a,b,c,d')
      .attach('model.json', buffers.modelJson, 'model.json')
      .attach('weights', buffers.weights, 'weights.bin');
    assert.equal(imported.status, 201, imported.text);
    modelId = imported.body.id;
    datasetId = await upload(
      'rows',
      csv(['a', 'b', 'c', 'd'], rowsOf(80, 4), (r) => (3 * r[0] - 2 * r[1] > 0 ? 'yes' : 'no')),
    );
    threeId = await upload(
      'three',
      csv(['a', 'b', 'c'], rowsOf(20, 3), (r) => (r[0] > 0 ? 'yes' : 'no')),
    );
  });
  after(async () => {
    await app?.close();
  });

  test('lime and normlime on an imported model with an uploaded data set: a and b lead', async () => {
    const lime = await app
      .post('/v1/explanations', {
        model: modelId,
        method: 'lime',
        dataset: datasetId,
        instances: [[0.8, -0.6, 0.1, 0.2]],
        parameters: { numSamples: 500, discretize: false },
      })
      .expect(202);
    const normlime = await app
      .post('/v1/explanations', {
        model: modelId,
        method: 'normlime',
        dataset: datasetId,
        sampleSize: 12,
        parameters: { numSamples: 300, discretize: false },
      })
      .expect(202);
    for (const id of [lime.body.id, normlime.body.id])
      await app.waitForJob(id, (j) => ['succeeded', 'failed'].includes(j.status));
    const l = (await app.get(`/v1/explanations/${lime.body.id}`).expect(200)).body;
    assert.equal(l.status, 'succeeded', l.error);
    const e = l.result.explanations[0];
    assert.equal(e.className, 'yes');
    assert.deepEqual(
      e.features
        .slice(0, 2)
        .map((f: { name: string }) => f.name)
        .sort(),
      ['a', 'b'],
    );
    assert.ok(e.weights[0] > 0 && e.weights[1] < 0, JSON.stringify(e.weights));
    const n = (await app.get(`/v1/explanations/${normlime.body.id}`).expect(200)).body;
    assert.equal(n.status, 'succeeded', n.error);
    assert.equal(n.result.instances, 12);
    for (const c of n.result.classes.filter((k: { count: number }) => k.count > 0)) {
      assert.deepEqual(
        c.ranking
          .slice(0, 2)
          .map((f: { feature: string }) => f.feature)
          .sort(),
        ['a', 'b'],
      );
    }
    const png = await app.get(n.artifacts[0].url).expect(200);
    assert.equal(png.headers['content-type'], 'image/png');
  });

  test('the registry answers the mismatches: unknown model 404, 3-feature data set 422, no training set 422', async () => {
    await app
      .post('/v1/explanations', {
        model: '00000000-0000-4000-8000-000000000000',
        method: 'lime',
        instances: [[0, 0, 0, 0]],
      })
      .expect(404);
    const three = await app
      .post('/v1/explanations', { model: modelId, method: 'normlime', dataset: threeId })
      .expect(422);
    assert.equal(three.body.errors[0].field, 'dataset');
    assert.match(three.body.errors[0].message, /has 3 features \(a, b, c\) but model .* takes 4/);
    // An imported model has no training data set: tabular LIME needs one for its statistics.
    const none = await app
      .post('/v1/explanations', { model: modelId, method: 'lime', instances: [[0, 0, 0, 0]] })
      .expect(422);
    assert.equal(none.body.errors[0].field, 'dataset');
    const other = await app.createKey('registry-other');
    await app
      .post(
        '/v1/explanations',
        { model: modelId, method: 'lime', dataset: datasetId, instances: [[0, 0, 0, 0]] },
        other,
      )
      .expect(404);
  });

  test('autodl explain --model <registered id> --data rows.csv goes through the service (label column dropped)', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'autodl-x-')), 'rows.csv');
    fs.writeFileSync(file, 'a,b,c,d,label\n0.8,-0.6,0.1,0.2,yes\n-0.5,0.4,0,0,no\n');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '-r',
        sourceLoader(),
        path.resolve(__dirname, '..', '..', 'src', 'cli', 'autodl.ts'),
        '--json',
        'explain',
        '--model',
        modelId,
        '--dataset',
        datasetId,
        '--data',
        file,
        '--parameters',
        '{"numSamples": 300, "discretize": false}',
      ],
      { env: { ...process.env, AUTODL_URL: app.url, AUTODL_HOME: app.home }, timeout: 600_000 },
    );
    const e = JSON.parse(stdout);
    assert.equal(e.status, 'succeeded', e.error);
    assert.deepEqual(
      e.result.explanations.map((x: { className: string }) => x.className),
      ['yes', 'no'],
    );
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });
});
