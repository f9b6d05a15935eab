import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestApp, TestApp } from '../support/app';
import { grayPng } from '../fixtures/data/images';
import { darkShape, lightShape, shapesZip } from '../fixtures/data/shapes';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'data');

/**
 * Two visually distinct 8x8 gray classes (dark stripes vs light dots), 16 images each: trivially
 * separable by mean intensity, so a few epochs must learn them (the reference for accuracy).
 */
const shapes = shapesZip(16);

function datasetFiles(home: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.ads')) out.push(full);
    }
  };
  walk(path.join(home, 'artifacts'));
  return out;
}

describe('datasets, model registry, pretrain -> finetune -> predict (real app, PostgreSQL, workers)', () => {
  let app: TestApp;
  let datasetId: string;
  let baseId: string;
  let tunedId: string;

  before(async () => {
    // Training blocks a worker's event loop for whole batches; on a loaded 2-core machine that
    // can exceed the suite's default 3 s heartbeat timeout. A killed worker is still detected at
    // once by its supervisor (the resume test).
    app = await startTestApp({
      workers: 1,
      coordinators: 0, // no study or NAS driver here: one worker process fewer to start
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
  });
  after(async () => {
    await app?.close();
  });

  const upload = (fields: Record<string, string>, file: Buffer, fileName: string) =>
    app.uploadDataset(fields, file, fileName);

  test('an image zip upload is split per class and its stats stored', async () => {
    const res = await upload(
      { name: 'shapes', split: '0.5,0.25,0.25', seed: '3' },
      shapes,
      'shapes.zip',
    );
    assert.equal(res.status, 201, res.text);
    datasetId = res.body.id;
    assert.equal(res.body.kind, 'image');
    assert.deepEqual(res.body.stats.countsPerClass, { dark: 16, light: 16 });
    assert.deepEqual(res.body.stats.imageShape, { height: 8, width: 8, channels: 1 });
    // Stratified 0.5/0.25/0.25 of 16 per class: 8/4/4 per class (transforms.splitCounts).
    assert.deepEqual(res.body.splitSizes, { train: 16, validation: 8, test: 8 });
    const again = await upload({ name: 'shapes' }, shapes, 'shapes.zip');
    assert.equal(again.status, 409);
    const got = await app.get(`/v1/datasets/${datasetId}`).expect(200);
    assert.equal(got.body.name, 'shapes');
  });

  test('the packaged catalog: every set, installed or what to install, as this machine has them', async () => {
    const { items } = (await app.get('/v1/datasets/packaged').expect(200)).body as {
      items: { name: string; installed: boolean; install: string }[];
    };
    const by = new Map(items.map((e) => [e.name, e]));
    assert.equal(items.length, 6);
    assert.equal(
      by.get('iris')?.installed,
      fs.existsSync('/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv'),
    );
    assert.equal(
      by.get('fashion-mnist')?.installed,
      fs.existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz'),
    );
    assert.match(by.get('fashion-mnist')!.install, /dataset-fashion-mnist/);
  });

  test('a packaged set registers with a class subset, remapping and few-shot training split', async (t) => {
    if (!fs.existsSync('/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv')) {
      t.skip('python3-sklearn is not installed');
      return;
    }
    const res = await app
      .post('/v1/datasets', {
        packaged: 'iris',
        name: 'iris-2',
        classes: [0, 1],
        remap: { setosa: 'first' },
        perClass: 10,
        seed: 5,
      })
      .expect(201);
    // 100 examples of two classes; 0.7/0.15/0.15 stratified is 35/7.5/7.5 per class, rounded by
    // largest remainder; then 10 per class are kept for training.
    assert.equal(res.body.splitSizes.train, 20);
    assert.equal(res.body.splitSizes.validation + res.body.splitSizes.test, 30);
    assert.deepEqual(res.body.stats.classNames, ['first', 'versicolor']);
    assert.equal(res.body.stats.featureCount, 4);
    const bad = await app.post('/v1/datasets', {
      packaged: 'iris',
      name: 'iris-x',
      classes: [0, 7],
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].field, 'classes[1]');
  });

  test('bad uploads are 422 naming the file or entry, and nothing is registered', async () => {
    const before = (await app.get('/v1/datasets').expect(200)).body.total;
    const filesBefore = datasetFiles(app.home).length;
    const corrupt = await upload(
      { name: 'corrupt' },
      fs.readFileSync(path.join(FIXTURES, 'bad/corrupt-image.zip')),
      'corrupt-image.zip',
    );
    assert.equal(corrupt.status, 422, corrupt.text);
    assert.match(corrupt.headers['content-type'], /problem\+json/);
    assert.ok(
      corrupt.body.errors.some((e: { field: string }) => e.field.includes('dark/broken.png')),
      corrupt.text,
    );
    const traversal = await upload(
      { name: 'traversal' },
      fs.readFileSync(path.join(FIXTURES, 'bad/traversal.zip')),
      'traversal.zip',
    );
    assert.equal(traversal.status, 422, traversal.text);
    assert.ok(
      traversal.body.errors.some((e: { field: string }) => e.field.includes('../../etc/evil.png')),
      traversal.text,
    );
    const noLabel = await upload(
      { name: 'nolabel', labelColumn: 'species' },
      fs.readFileSync(path.join(FIXTURES, 'bad/no-label-column.csv')),
      'no-label-column.csv',
    );
    assert.equal(noLabel.status, 422, noLabel.text);
    assert.match(noLabel.body.detail, /no-label-column\.csv/);
    assert.match(noLabel.body.detail, /species/);
    const badLine = await upload(
      { name: 'badline' },
      fs.readFileSync(path.join(FIXTURES, 'bad/bad-line.jsonl')),
      'bad-line.jsonl',
    );
    assert.equal(badLine.status, 422);
    assert.ok(
      badLine.body.errors.some((e: { field: string }) => e.field === 'bad-line.jsonl:2'),
      badLine.text,
    );
    const malformed = await app.http
      .post('/v1/datasets')
      .set('Authorization', `Bearer ${app.key}`)
      .set('Content-Type', 'multipart/form-data; boundary=xyz')
      .send('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\nPK');
    assert.equal(malformed.status, 400, malformed.text);
    assert.equal((await app.get('/v1/datasets').expect(200)).body.total, before);
    assert.equal(datasetFiles(app.home).length, filesBefore, 'a refused upload left a file behind');
  });

  test('pretrain registers a model with params, FLOPs, lineage, metrics and checkpoints', async () => {
    const res = await app
      .post('/v1/pretrain', {
        dataset: datasetId,
        architecture: 'small-cnn',
        name: 'shapes-cnn',
        epochs: 4,
        batchSize: 4,
        learningRate: 0.01,
        seed: 1,
      })
      .set('Idempotency-Key', 'pretrain-1')
      .expect(202);
    const same = await app
      .post('/v1/pretrain', {
        dataset: datasetId,
        architecture: 'small-cnn',
        name: 'shapes-cnn',
        epochs: 4,
        batchSize: 4,
        learningRate: 0.01,
        seed: 1,
      })
      .set('Idempotency-Key', 'pretrain-1')
      .expect(202);
    assert.equal(same.body.id, res.body.id, 'Idempotency-Key returns the same job');
    const job = await app.waitForJob(res.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    assert.equal(job.result?.backend, 'cpu');
    baseId = job.result?.modelId as string;
    const model = (await app.get(`/v1/models/${baseId}`).expect(200)).body;
    assert.equal(model.architecture, 'small-cnn');
    assert.deepEqual(model.inputShape, [8, 8, 1]);
    assert.deepEqual(model.classNames, ['dark', 'light']);
    assert.ok(model.params > 0 && model.flops > 0);
    assert.equal(
      model.params,
      model.summary.reduce((s: number, l: { params: number }) => s + l.params, 0),
    );
    assert.deepEqual(model.lineage, {
      baseModelId: null,
      datasetId,
      method: 'pretrain',
      jobId: res.body.id,
    });
    const metrics = (await app.get(`/v1/jobs/${res.body.id}/metrics?name=loss`).expect(200)).body;
    assert.equal(metrics.length, 4);
    const artifacts = (await app.get(`/v1/jobs/${res.body.id}/artifacts`).expect(200)).body.map(
      (a: { name: string }) => a.name,
    );
    // Per-epoch checkpoints alternate between two slots (src/ml/io/checkpoint.ts).
    for (const name of [
      'checkpoint/0/model.json',
      'checkpoint/0/weights.bin',
      'checkpoint/1/model.json',
      'checkpoint/1/weights.bin',
      'model.json',
      'weights.bin',
    ])
      assert.ok(artifacts.includes(name), `${name} in ${artifacts}`);
  });

  test('finetune registers the result with its lineage and a test-split evaluation', async () => {
    const res = await app
      .post('/v1/finetune', {
        baseModel: baseId,
        dataset: datasetId,
        method: 'dtnh+delta',
        epochs: 3,
        name: 'shapes-delta',
        hyperParameters: { batchSize: 4, learningRate: 0.01, seed: 2, headEpochs: 1 },
        augment: [{ name: 'flip' }],
        augmentCopies: 2,
      })
      .expect(202);
    const job = await app.waitForJob(res.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    tunedId = job.result?.modelId as string;
    const model = (await app.get(`/v1/models/${tunedId}`).expect(200)).body;
    assert.deepEqual(model.lineage, {
      baseModelId: baseId,
      datasetId,
      method: 'dtnh+delta',
      jobId: res.body.id,
    });
    // DELTA's channel attention is kept with the model: one weight vector per hooked layer.
    assert.ok(model.metrics.hookLayers.length > 0);
    assert.equal(model.metrics.attention.length, model.metrics.hookLayers.length);
    const evaluation = (await app.get(`/v1/models/${tunedId}/evaluation`).expect(200)).body;
    // The confusion matrix counts every test example once (4 per class in the 8-example split).
    assert.equal(evaluation.count, 8);
    assert.deepEqual(
      evaluation.confusion.map((row: number[]) => row.reduce((a, b) => a + b, 0)),
      [4, 4],
    );
    const diagonal = evaluation.confusion[0][0] + evaluation.confusion[1][1];
    assert.equal(evaluation.accuracy, diagonal / 8);
    assert.ok(evaluation.accuracy >= 0.75, `separable classes: accuracy ${evaluation.accuracy}`);
    const list = (await app.get('/v1/models').expect(200)).body;
    assert.equal(list.total, 2);
  });

  test('predict takes base64 PNGs and pixel arrays; a shape mismatch is a 422 naming it', async () => {
    const pixels = Array.from({ length: 64 }, () => 0.9);
    const res = await app
      .post(`/v1/models/${tunedId}/predict`, {
        images: [darkShape(99).toString('base64'), lightShape(99).toString('base64'), pixels],
      })
      .expect(200);
    assert.equal(res.body.predictions.length, 3);
    for (const p of res.body.predictions) {
      const sum = Object.values(p.probabilities as Record<string, number>).reduce(
        (a, b) => a + b,
        0,
      );
      assert.ok(Math.abs(sum - 1) < 1e-4, `softmax sums to 1, got ${sum}`);
    }
    assert.equal(res.body.predictions[0].label, 'dark');
    assert.equal(res.body.predictions[1].label, 'light');
    const wrongLength = await app.post(`/v1/models/${tunedId}/predict`, {
      images: [pixels, [0.1, 0.2]],
    });
    assert.equal(wrongLength.status, 422);
    assert.equal(wrongLength.body.errors[0].field, 'images[1]');
    assert.match(wrongLength.body.errors[0].message, /64 finite numbers \(8x8x1/);
    const wrongSize = await app.post(`/v1/models/${tunedId}/predict`, {
      images: [grayPng(12, 12, () => 0).toString('base64')],
    });
    assert.equal(wrongSize.status, 422);
    assert.match(wrongSize.body.errors[0].message, /12x12 but the model takes 8x8/);
    const wrongKind = await app.post(`/v1/models/${tunedId}/predict`, { rows: [[1, 2]] });
    assert.equal(wrongKind.status, 422);
  });

  test("another project's data sets and models are 404 and not listed", async () => {
    const other = await app.createKey('other-team');
    for (const route of [
      `/v1/models/${tunedId}`,
      `/v1/models/${tunedId}/evaluation`,
      `/v1/datasets/${datasetId}`,
    ]) {
      assert.equal((await app.get(route, other)).status, 404, route);
    }
    assert.equal(
      (await app.post(`/v1/models/${tunedId}/predict`, { images: [[0]] }, other)).status,
      404,
    );
    assert.equal((await app.get('/v1/models', other).expect(200)).body.total, 0);
    assert.equal((await app.get('/v1/datasets', other).expect(200)).body.total, 0);
    const finetune = await app.post(
      '/v1/finetune',
      { baseModel: tunedId, dataset: datasetId },
      other,
    );
    assert.equal(finetune.status, 404);
  });

  test('a TF.js model.json + weights import registers a model that predicts as the original', async () => {
    const base = (await app.get(`/v1/models/${baseId}`).expect(200)).body;
    const download = async (name: string): Promise<Buffer> =>
      (
        await app
          .get(`/v1/jobs/${base.lineage.jobId}/artifacts/${name}`)
          .buffer(true)
          .parse((res, cb) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => cb(null, Buffer.concat(chunks)));
          })
          .expect(200)
      ).body as Buffer;
    const res = await app.http
      .post('/v1/models')
      .set('Authorization', `Bearer ${app.key}`)
      .field('name', 'imported-cnn')
      .field('classNames', 'dark,light')
      .attach('model.json', await download('model.json'), 'model.json')
      .attach('weights', await download('weights.bin'), 'weights.bin');
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.architecture, 'imported');
    assert.equal(res.body.params, base.params);
    assert.equal(res.body.lineage.method, 'import');
    const input = { images: [darkShape(5).toString('base64')] };
    const a = (await app.post(`/v1/models/${baseId}/predict`, input).expect(200)).body;
    const b = (await app.post(`/v1/models/${res.body.id}/predict`, input).expect(200)).body;
    assert.deepEqual(b.predictions, a.predictions);
    const broken = await app.http
      .post('/v1/models')
      .set('Authorization', `Bearer ${app.key}`)
      .field('name', 'broken')
      .attach('model.json', Buffer.from('{"modelTopology": '), 'model.json');
    assert.equal(broken.status, 422);
    const init = await app
      .post('/v1/models', {
        name: 'mlp-init',
        architecture: 'mlp',
        inputShape: [4],
        classNames: ['a', 'b', 'c'],
      })
      .expect(201);
    assert.deepEqual(init.body.featureNames, ['feature_0', 'feature_1', 'feature_2', 'feature_3']);
    const rows = await app.post(`/v1/models/${init.body.id}/predict`, { rows: [[1, 2, 3]] });
    assert.equal(rows.status, 422);
    assert.equal(rows.body.errors[0].field, 'rows[0]');
  });

  test('a pretrain job whose worker is killed resumes from the last epoch checkpoint', async () => {
    const epochs = 8;
    const res = await app
      .post('/v1/pretrain', {
        dataset: datasetId,
        architecture: 'small-cnn',
        epochs,
        batchSize: 4,
        seed: 4,
      })
      .expect(202);
    const running = await app.waitForJob(
      res.body.id,
      (j) => j.status === 'running' && j.progress >= (3 / epochs) * 0.95,
    );
    app.killWorker(running);
    const done = await app.waitForJob(res.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.attempts, 2);
    const from = done.result?.resumedFromEpoch as number;
    assert.ok(from >= 2 && from < epochs, `resumed after epoch ${from}`);
    // Every epoch has its loss exactly once: the resumed attempt continued, it did not restart.
    const losses = (await app.get(`/v1/jobs/${res.body.id}/metrics?name=loss`).expect(200)).body;
    assert.deepEqual(
      losses.map((m: { step: number }) => m.step),
      [...Array(epochs).keys()],
    );
  });

  test('a dtnh+delta finetune job whose worker is killed resumes from its last epoch checkpoint', async () => {
    const epochs = 7;
    const res = await app
      .post('/v1/finetune', {
        baseModel: baseId,
        dataset: datasetId,
        method: 'dtnh+delta',
        epochs,
        name: 'shapes-resumed',
        hyperParameters: { batchSize: 4, learningRate: 0.01, seed: 5, headEpochs: 1 },
        recordDynamics: true,
      })
      .expect(202);
    // The handler reports epoch e as progress 0.05 + 0.9 (e + 1) / epochs.
    const running = await app.waitForJob(
      res.body.id,
      (j) => j.status === 'running' && j.progress >= 0.05 + (2 / epochs) * 0.9,
    );
    app.killWorker(running);
    const done = await app.waitForJob(res.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.attempts, 2);
    const from = done.result?.resumedFromEpoch as number;
    assert.ok(from >= 1 && from < epochs, `resumed after epoch ${from}`);
    assert.equal(done.result?.epochs, epochs);
    // Every epoch's loss exactly once: the second attempt continued rather than restarted.
    const losses = (await app.get(`/v1/jobs/${res.body.id}/metrics?name=loss`).expect(200)).body;
    assert.deepEqual(
      losses.map((m: { step: number }) => m.step),
      [...Array(epochs).keys()],
    );
    // The DELTA attention came back from the checkpoint; the dynamics recorded before the crash
    // too, so there is still one record per epoch.
    const model = (await app.get(`/v1/models/${done.result?.modelId}`).expect(200)).body;
    assert.equal(model.metrics.attention.length, model.metrics.hookLayers.length);
    const dynamics = (await app.get(`/v1/jobs/${res.body.id}/dynamics?method=aum`).expect(200))
      .body;
    assert.equal(dynamics.epochs, epochs);
  });

  test('CLI: datasets create/list/show, finetune --json, models show/predict', async () => {
    // The TypeScript source, not a possibly stale dist/ build.
    const main = path.resolve(__dirname, '..', '..', 'src', 'cli', 'autodl.ts');
    const cli = async (args: string[]): Promise<string> =>
      (
        await promisify(execFile)(process.execPath, ['-r', sourceLoader(), main, ...args], {
          env: { ...process.env, AUTODL_URL: app.url, AUTODL_API_KEY: app.key },
          timeout: 600_000,
        })
      ).stdout;
    const csv = path.join(app.home, 'tab.csv');
    fs.copyFileSync(path.join(FIXTURES, 'good/tabular.csv'), csv);
    const created = JSON.parse(
      await cli([
        '--json',
        'datasets',
        'create',
        'flowers',
        '--file',
        csv,
        '--label-column',
        'species',
        '--split',
        '0.5,0.25,0.25',
      ]),
    );
    assert.equal(created.kind, 'tabular');
    assert.equal(created.stats.featureCount, 2);
    const shown = await cli(['datasets', 'show', 'flowers']);
    assert.match(shown, /tabular, upload; 12 examples, 3 classes/);
    const ft = JSON.parse(
      await cli([
        '--json',
        'finetune',
        '--base',
        'shapes-cnn',
        '--dataset',
        'shapes',
        '--method',
        'l2',
        '--epochs',
        '1',
        '--batch-size',
        '8',
        '--name',
        'cli-ft',
        '--gpus',
        '0',
        '--memory',
        '1Gi',
      ]),
    );
    assert.equal(ft.job.status, 'succeeded');
    assert.equal(ft.model.name, 'cli-ft');
    assert.equal(ft.model.lineage.method, 'l2');
    // --gpus/--memory fill the job's resources block (used on Kubernetes); a bad quantity is a
    // clear error from the service, before anything is queued.
    assert.deepEqual(ft.job.spec.resources, { gpu: 0, memory: '1Gi' });
    const bad = await cli([
      'finetune',
      '--base',
      'shapes-cnn',
      '--dataset',
      'shapes',
      '--memory',
      '8 GB',
    ]).then(
      () => assert.fail('a bad --memory was accepted'),
      (err: { stderr: string; code: number }) => err,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /resources\.memory: must match .* \(e\.g\. "8Gi"\), got "8 GB"/);
    assert.match(
      await cli(['models', 'show', 'cli-ft']),
      /lineage\s+method l2; base [0-9a-f-]{36}/,
    );
    const img = path.join(app.home, 'x.png');
    fs.writeFileSync(img, lightShape(3));
    const pred = JSON.parse(await cli(['--json', 'models', 'predict', 'cli-ft', '--image', img]));
    assert.equal(pred.predictions.length, 1);
  });

  test('finetune with recordDynamics stores per-sample training dynamics, ranked by GET /v1/jobs/:id/dynamics', async () => {
    const res = await app
      .post('/v1/finetune', {
        baseModel: baseId,
        dataset: datasetId,
        method: 'l2',
        epochs: 2,
        name: 'shapes-dynamics',
        hyperParameters: { batchSize: 4, learningRate: 0.01, seed: 3 },
        recordDynamics: true,
      })
      .expect(202);
    const job = await app.waitForJob(res.body.id, (j) =>
      ['succeeded', 'failed'].includes(j.status),
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    const dynamics = (await app.get(`/v1/jobs/${res.body.id}/dynamics?method=aum`).expect(200))
      .body;
    assert.equal(dynamics.method, 'aum');
    assert.equal(dynamics.epochs, 2, 'one record per epoch');
    assert.ok(dynamics.samples > 0);
    assert.ok(dynamics.suspects.length > 0 && dynamics.suspects.length <= dynamics.samples);
  });
});
