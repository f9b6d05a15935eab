import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type request from 'supertest';
import { selectBackend } from '../../src/ml/backend';
import { saveModelToBuffers } from '../../src/ml/io/buffers';
import { startTestApp, type TestApp } from '../support/app';
import { shapesZip } from '../fixtures/data/shapes';

/**
 * Artifact downloads under the default home layout, `.../.autodl` (issue 11, point 1): Express's
 * sendFile refused every path through the dot-folder and each download was a 500. A model's
 * files and a chart from jobs, and an explanation's heatmap, must come back byte for byte as
 * stored on disk.
 */
function bytes(res: request.Response, done: (err: Error | null, body: Buffer) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('artifact downloads under AUTODL_HOME=<tmp>/.autodl (the default shape)', () => {
  let app: TestApp;

  before(async () => {
    await selectBackend('cpu');
    // Training blocks the worker's event loop for whole batches (models.e2e.test.ts).
    app = await startTestApp({
      workers: 1,
      coordinators: 0, // no study or NAS driver here: one worker process fewer to start
      env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' },
    });
  });
  after(async () => {
    await app?.close();
  });

  /** Where a job's artifact is stored: `<home>/artifacts/<project>/<job>/<name>`. */
  function onDisk(jobId: string, name: string): string {
    const root = path.join(app.home, 'artifacts');
    const project = fs.readdirSync(root).find((p) => fs.existsSync(path.join(root, p, jobId)));
    assert.ok(project, `job ${jobId} has artifacts under ${root}`);
    return path.join(root, project, jobId, name);
  }

  async function download(route: string, contentType: string): Promise<Buffer> {
    const res = await app.get(route).buffer(true).parse(bytes);
    assert.equal(res.status, 200, `${route}: ${String(res.status)}`);
    assert.equal(res.headers['content-type']?.split(';')[0], contentType, route);
    return res.body as Buffer;
  }

  async function assertSameAsDisk(
    base: string,
    jobId: string,
    name: string,
    contentType: string,
  ): Promise<void> {
    const listed = (await app.get(`/v1/jobs/${jobId}/artifacts`).expect(200)).body as {
      name: string;
      sha256: string;
    }[];
    const body = await download(`${base}/${jobId}/artifacts/${name}`, contentType);
    const file = fs.readFileSync(onDisk(jobId, name));
    assert.ok(file.length > 0, `${name} is not empty`);
    assert.ok(body.equals(file), `${name}: the download equals the stored bytes`);
    const sha = crypto.createHash('sha256').update(body).digest('hex');
    assert.equal(sha, listed.find((a) => a.name === name)?.sha256, `${name}: recorded sha256`);
  }

  test('the test home is a dot-folder, as the default ./.autodl', () => {
    assert.equal(path.basename(app.home), '.autodl');
  });

  test("a pretrained model's model.json and weights.bin download byte for byte", async () => {
    const upload = await app.uploadDataset(
      { name: 'shapes', split: '0.5,0.25,0.25', seed: '3' },
      shapesZip(8),
      'shapes.zip',
    );
    assert.equal(upload.status, 201, upload.text);
    const res = await app
      .post('/v1/pretrain', {
        dataset: upload.body.id,
        architecture: 'small-cnn',
        epochs: 1,
        batchSize: 4,
        seed: 1,
      })
      .expect(202);
    const job = await app.waitForJob(
      res.body.id,
      (j) => ['succeeded', 'failed'].includes(j.status),
      180_000,
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    await assertSameAsDisk('/v1/jobs', job.id, 'model.json', 'application/json');
    await assertSameAsDisk('/v1/jobs', job.id, 'weights.bin', 'application/octet-stream');
  });

  test("a simulation's chart PNG downloads byte for byte", async () => {
    const res = await app
      .post('/v1/simulations', {
        pipeline: {
          name: 'small',
          stages: [{ id: 'front', instances: 2, service: { dist: 'exponential', fixedMs: 1 } }],
        },
        traffic: { model: 'poisson', rateRps: 200 },
        durationS: 2,
      })
      .expect(202);
    const job = await app.waitForJob(
      res.body.id,
      (j) => ['succeeded', 'failed'].includes(j.status),
      120_000,
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    await assertSameAsDisk('/v1/jobs', job.id, 'latency-cdf.png', 'image/png');
  });

  test("an explanation's PNG downloads through /v1/explanations/:id/artifacts byte for byte", async () => {
    // A logistic model p(yes | x) = sigmoid(3a - 2b) imported as TF.js files, and a CSV of rows.
    const net = tf.sequential({
      layers: [tf.layers.dense({ units: 2, inputShape: [4], activation: 'softmax' })],
    });
    net.setWeights([tf.tensor2d([3, -2, 0, 0].map((w) => [0, w])), tf.zeros([2])]);
    const buffers = await saveModelToBuffers(net);
    net.dispose();
    const model = await app.http
      .post('/v1/models')
      .set('Authorization', `Bearer ${app.key}`)
      .field('name', 'logistic')
      .field('inputKind', 'tabular')
      .field('classNames', 'no,yes')
      .field('featureNames', 'a,b,c,d')
      .attach('model.json', buffers.modelJson, 'model.json')
      .attach('weights', buffers.weights, 'weights.bin');
    assert.equal(model.status, 201, model.text);
    const rows = Array.from({ length: 40 }, (_, i) =>
      Array.from({ length: 4 }, (_, j) => Math.sin(1.7 * i + 2.3 * j + 0.5 * i * j)),
    );
    const csv = [
      'a,b,c,d,label',
      ...rows.map((r) => [...r.map((v) => v.toFixed(4)), 3 * r[0] - 2 * r[1] > 0 ? 'yes' : 'no']),
    ].join('\n');
    const dataset = await app.uploadDataset(
      { name: 'rows', labelColumn: 'label' },
      Buffer.from(csv),
      'rows.csv',
    );
    assert.equal(dataset.status, 201, dataset.text);
    const created = await app
      .post('/v1/explanations', {
        model: model.body.id,
        method: 'normlime',
        dataset: dataset.body.id,
        sampleSize: 6,
        parameters: { numSamples: 200, discretize: false },
      })
      .expect(202);
    const job = await app.waitForJob(
      created.body.id,
      (j) => ['succeeded', 'failed'].includes(j.status),
      120_000,
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    const explanation = (await app.get(`/v1/explanations/${job.id}`).expect(200)).body as {
      artifacts: { name: string; url: string }[];
    };
    const png = explanation.artifacts.find((a) => a.name.endsWith('.png'));
    assert.ok(png, JSON.stringify(explanation.artifacts));
    assert.equal(png.url, `/v1/explanations/${job.id}/artifacts/${png.name}`);
    await assertSameAsDisk('/v1/explanations', job.id, png.name, 'image/png');
  });

  test('an artifact whose file vanished from disk is a 404 problem, not a 500', async () => {
    const jobs = (await app.get('/v1/jobs?kind=simulate').expect(200)).body as {
      items: { id: string }[];
    };
    const id = jobs.items[0]?.id;
    assert.ok(id, 'the simulation above ran');
    fs.rmSync(onDisk(id, 'utilisation.png'));
    const res = await app.get(`/v1/jobs/${id}/artifacts/utilisation.png`);
    assert.equal(res.status, 404, res.text);
    assert.match(res.headers['content-type'], /application\/problem\+json/);
  });

  test('a name that climbs out of the job folder does not reach admin.key', async () => {
    const jobs = (await app.get('/v1/jobs?kind=simulate').expect(200)).body as {
      items: { id: string }[];
    };
    const key = fs.readFileSync(path.join(app.home, 'admin.key'), 'utf8');
    for (const name of ['..%2F..%2F..%2Fadmin.key', '%2E%2E/%2E%2E/%2E%2E/admin.key']) {
      const res = await app.get(`/v1/jobs/${jobs.items[0].id}/artifacts/${name}`);
      assert.ok(res.status === 400 || res.status === 404, `${name}: ${res.status}`);
      assert.ok(!res.text.includes(key.trim()), `${name} leaked the key`);
    }
  });
});
