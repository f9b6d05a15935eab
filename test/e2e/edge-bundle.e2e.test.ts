import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { Client } from 'pg';
import { startTestApp, TestApp } from '../support/app';
import { EdgeModel } from '../../packages/edge/src';
import { edgeModelFromDirectory } from '../../packages/edge/src/node';
import { USER_CLASSES, userExamples } from '../../packages/edge/test/user-data';

const run = promisify(execFile);
const bin = path.resolve(__dirname, '..', '..', 'bin', 'autodl.js');

/**
 * Issue 15: the export bundle of a registered model (GET /v1/models/:id/bundle and `autodl
 * models bundle`), loaded by packages/edge from the running service and personalised there.
 */
describe('export bundles for on-device personalisation (real app, PostgreSQL)', () => {
  let app: TestApp;
  let modelId: string;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-bundle-'));

  before(async () => {
    await tf.setBackend('cpu');
    app = await startTestApp({ workers: 0, coordinators: 0 });
    const res = await app
      .post('/v1/models', {
        name: 'edge-base',
        architecture: 'small-cnn',
        inputShape: [8, 8, 1],
        classNames: [...USER_CLASSES],
        seed: 1,
      })
      .expect(201);
    modelId = res.body.id;
  });
  after(async () => {
    await app?.close();
    fs.rmSync(out, { recursive: true, force: true });
  });

  test('the manifest names the files, labels, input contract and the pruned variants', async () => {
    const bundle = (await app.get(`/v1/models/edge-base/bundle`).expect(200)).body;
    assert.equal(bundle.format, 'autodl-edge-bundle/1');
    assert.equal(bundle.model.id, modelId);
    assert.equal(bundle.model.architecture, 'small-cnn');
    assert.deepEqual(bundle.labels, [...USER_CLASSES]);
    assert.deepEqual(bundle.input, {
      kind: 'image',
      shape: [8, 8, 1],
      featureNames: null,
      preprocessing: {},
    });
    assert.deepEqual(
      bundle.files.map((f: { name: string }) => f.name),
      ['model.json', 'weights.bin', 'model-card.json'],
    );
    const weights = bundle.files[1];
    const bytes = (
      await app
        .get(weights.url)
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => cb(null, Buffer.concat(chunks)));
        })
        .expect(200)
    ).body as Buffer;
    assert.equal(bytes.length, weights.size);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), weights.sha256);
    assert.deepEqual(bundle.variants, []);

    // A prune job registers its family with the source as base model and method `prune`
    // (src/nas/nas-model.adapter.ts); one such row, written as that adapter would.
    const db = new Client({ connectionString: app.databaseUrl });
    await db.connect();
    try {
      await db.query(
        `INSERT INTO models (id, project_id, name, architecture, summary, params, flops, input_kind,
           input_shape, class_names, feature_names, preprocessing, vocabulary_path, base_model_id,
           dataset_id, method, job_id, model_json_path, weights_path, metrics, evaluation)
         SELECT gen_random_uuid(), project_id, name || '-pruned-50pct-flops', architecture, summary,
           params / 2, flops / 2, input_kind, input_shape, class_names, feature_names,
           preprocessing, vocabulary_path, id, dataset_id, 'prune', job_id, model_json_path,
           weights_path, '{"accuracy": 0.75}', NULL
         FROM models WHERE id = $1`,
        [modelId],
      );
    } finally {
      await db.end();
    }
    const again = (await app.get(`/v1/models/${modelId}/bundle`).expect(200)).body;
    assert.equal(again.variants.length, 1);
    const [variant] = again.variants;
    assert.equal(variant.name, 'edge-base-pruned-50pct-flops');
    assert.equal(variant.params, Math.floor(bundle.model.params / 2));
    assert.equal(variant.flops, bundle.model.flops / 2);
    assert.equal(variant.accuracy, 0.75);
    assert.equal(variant.bundle, `/v1/models/${variant.id}/bundle`);
    await app.get(variant.bundle).expect(200);

    await app.get('/v1/models/no-such-model/bundle').expect(404);
    await app.http.get(`/v1/models/${modelId}/bundle`).expect(401);
  });

  test('the library loads the bundle from the service, personalises, held-out accuracy goes up', async () => {
    const model = await EdgeModel.fromBundle(
      { service: app.url, model: 'edge-base', apiKey: app.key },
      { headLayers: 2 },
    );
    assert.deepEqual(model.labels, [...USER_CLASSES]);
    const heldOut = userExamples(60, 2);
    const before = model.evaluate(heldOut).accuracy;
    // A freshly initialised (random) base: a larger step than the default for pretrained heads.
    await model.personalize(userExamples(24, 1), { seed: 1, learningRate: 0.01 });
    const afterwards = model.evaluate(heldOut).accuracy;
    assert.ok(before <= 0.5 && afterwards >= 0.8, `before ${before}, after ${afterwards}`);
    model.dispose();
  });

  test('autodl models bundle -o dir writes a folder the library opens', async () => {
    const dir = path.join(out, 'bundle');
    const { stdout } = await run(
      process.execPath,
      [bin, 'models', 'bundle', 'edge-base', '-o', dir],
      {
        env: { ...process.env, AUTODL_URL: app.url, AUTODL_HOME: app.home },
        timeout: 600_000,
      },
    );
    assert.match(stdout, /bundle\.json/);
    assert.match(stdout, /variant edge-base-pruned-50pct-flops/);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'bundle.json'), 'utf8'));
    assert.deepEqual(
      manifest.files.map((f: { url: string }) => f.url),
      ['model.json', 'weights.bin', 'model-card.json'],
    );
    const model = await edgeModelFromDirectory(dir);
    const [e] = userExamples(1, 3);
    const p = await model.predict(e.input);
    assert.ok(USER_CLASSES.includes(p.label as (typeof USER_CLASSES)[number]));
    model.dispose();
  });
});
