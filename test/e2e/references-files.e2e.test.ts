/**
 * Issue 11 on the real app (PostgreSQL, a worker): one rule for naming a model or a data set
 * (its id, or its name unique in the project) on every route and job-spec field, with 404 for
 * an unknown and 409 for an ambiguous reference; model files for every registered model (a
 * pruned one included, evaluated on the test split); and the CLI commands over them, run as a
 * user runs them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { splitCsv } from '../../src/ml/data/csv';
import { shapesZip } from '../fixtures/data/shapes';
import { startTestApp, TestApp } from '../support/app';
import { sourceLoader } from '../../src/platform/runtime/source-thread';

// The CLI from source (bin/autodl.js prefers a possibly stale dist/ build).
const MAIN = path.resolve(__dirname, '..', '..', 'src', 'cli', 'autodl.ts');
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

describe('model and data set references, model files, CLI results (issue 11)', () => {
  let app: TestApp;
  let datasetId: string;
  let baseId: string;
  let tunedJob: string;
  let tunedId: string;
  let prunedId: string;

  const cli = async (args: string[]): Promise<{ stdout: string; stderr: string }> =>
    promisify(execFile)(process.execPath, ['-r', sourceLoader(), MAIN, ...args], {
      env: { ...process.env, AUTODL_URL: app.url, AUTODL_API_KEY: app.key },
      timeout: 120_000,
    });
  const finished = (id: string, timeoutMs = 180_000) =>
    app.waitForJob(id, (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status), timeoutMs);
  const specOf = async (id: string) =>
    (await app.get(`/v1/jobs/${id}`).expect(200)).body.spec as Record<string, unknown>;

  before(async () => {
    // Training blocks a worker's event loop for whole batches: a generous heartbeat timeout.
    app = await startTestApp({ workers: 1, env: { AUTODL_HEARTBEAT_TIMEOUT_MS: '60000' } });
    const res = await app.uploadDataset(
      { name: 'shapes', split: '0.5,0.25,0.25', seed: '3' },
      shapesZip(12),
      'shapes.zip',
    );
    assert.equal(res.status, 201, res.text);
    datasetId = res.body.id;
    const base = await app
      .post('/v1/models', {
        name: 'base-cnn',
        architecture: 'small-cnn',
        inputShape: [8, 8, 1],
        classNames: ['dark', 'light'],
        seed: 1,
      })
      .expect(201);
    baseId = base.body.id;
  });
  after(async () => {
    await app?.close();
  });

  test('GET routes take a name or an id; unknown is a 404 naming it, the nil UUID too', async () => {
    assert.equal((await app.get('/v1/models/base-cnn').expect(200)).body.id, baseId);
    assert.equal((await app.get(`/v1/models/${baseId}`).expect(200)).body.name, 'base-cnn');
    assert.equal((await app.get('/v1/datasets/shapes').expect(200)).body.id, datasetId);
    const unknown = await app.get('/v1/models/iris-mlp').expect(404);
    assert.match(unknown.body.detail, /model iris-mlp not found/);
    await app.get('/v1/datasets/00000000-0000-0000-0000-000000000000').expect(404);
    // Evaluation by name: this freshly initialised model has none (409 saying why).
    const noEval = await app.get('/v1/models/base-cnn/evaluation').expect(409);
    assert.match(noEval.body.detail, /base-cnn has no evaluation/);
    // Another project does not see the names either.
    const other = await app.createKey('refs-other');
    assert.equal((await app.get('/v1/models/base-cnn', other)).status, 404);
  });

  test('names match exactly, else case-insensitively; several such matches are a 409 naming them', async () => {
    // One case-insensitive match resolves.
    assert.equal((await app.get('/v1/models/BASE-CNN').expect(200)).body.id, baseId);
    const init = (name: string) =>
      app
        .post('/v1/models', { name, architecture: 'mlp', inputShape: [3], classNames: ['a', 'b'] })
        .expect(201)
        .then((r) => r.body.id as string);
    const upper = await init('Twin-Net');
    const lower = await init('twin-net');
    const res = await app.get('/v1/models/TWIN-NET').expect(409);
    assert.match(res.body.detail, /model reference TWIN-NET is ambiguous/);
    assert.ok(res.body.detail.includes(upper) && res.body.detail.includes(lower), res.body.detail);
    assert.equal((await app.get('/v1/models/twin-net').expect(200)).body.id, lower);
    const spec = await app.post('/v1/prune', { model: 'TWIN-net' }).expect(409);
    assert.match(spec.body.detail, /TWIN-net is ambiguous/);
  });

  test('an id is never ambiguous: a model named like another one’s id does not shadow it', async () => {
    const twin = await app
      .post('/v1/models', {
        name: baseId,
        architecture: 'mlp',
        inputShape: [3],
        classNames: ['a', 'b'],
      })
      .expect(201);
    assert.equal((await app.get(`/v1/models/${baseId}`).expect(200)).body.name, 'base-cnn');
    assert.equal((await app.get(`/v1/models/${twin.body.id}`).expect(200)).body.name, baseId);
  });

  test('every job-spec reference takes a name, stored as the id; unknown names are 404s', async () => {
    // POST /v1/finetune with names (dynamics recorded for the CLI test below).
    const ft = await app
      .post('/v1/finetune', {
        baseModel: 'base-cnn',
        dataset: 'shapes',
        method: 'l2',
        epochs: 2,
        name: 'tuned-cnn',
        hyperParameters: { batchSize: 4, learningRate: 0.01, seed: 2 },
        recordDynamics: true,
      })
      .expect(202);
    tunedJob = ft.body.id;
    const spec = await specOf(tunedJob);
    assert.equal(spec.baseModel, baseId);
    assert.equal(spec.dataset, datasetId);

    const notFound: [string, Record<string, unknown>, RegExp][] = [
      ['/v1/finetune', { baseModel: 'nope-model', dataset: 'shapes' }, /model nope-model/],
      ['/v1/finetune', { baseModel: 'base-cnn', dataset: 'nope-set' }, /dataset nope-set/],
      ['/v1/pretrain', { dataset: 'nope-set', architecture: 'mlp' }, /dataset nope-set/],
      ['/v1/prune', { model: 'nope-model' }, /model nope-model/],
      ['/v1/prune', { model: 'base-cnn', dataset: 'nope-set' }, /dataset nope-set/],
      [
        '/v1/nas',
        { dataset: 'nope-set', space: 'cell-cnn', budget: { trials: 1, epochsPerTrial: 1 } },
        /dataset nope-set/,
      ],
      [
        '/v1/explanations',
        { model: 'nope-model', method: 'lime', sampleSize: 1 },
        /model nope-model/,
      ],
      [
        '/v1/explanations',
        { model: 'base-cnn', method: 'normlime', dataset: 'nope-set', sampleSize: 2 },
        /dataset nope-set/,
      ],
      [
        '/v1/jobs',
        { kind: 'finetune', spec: { baseModel: 'nope-model', dataset: 'shapes' } },
        /model nope-model/,
      ],
      [
        '/v1/jobs',
        { kind: 'prune', spec: { model: 'base-cnn', dataset: 'nope-set' } },
        /dataset nope-set/,
      ],
    ];
    for (const [route, body, detail] of notFound) {
      const res = await app.post(route, body);
      assert.equal(res.status, 404, `${route} ${JSON.stringify(body)}: ${res.text}`);
      assert.match(res.body.detail, detail, route);
    }

    // Names accepted everywhere, stored as ids; queued jobs are cancelled before they run
    // (the finetune above holds the only worker).
    const queued: [string, Record<string, unknown>, Record<string, string>][] = [
      [
        '/v1/pretrain',
        { dataset: 'shapes', architecture: 'mlp', epochs: 1 },
        { dataset: datasetId },
      ],
      [
        '/v1/nas',
        {
          dataset: 'shapes',
          space: 'cell-cnn',
          budget: { trials: 1, epochsPerTrial: 1 },
        },
        { dataset: datasetId },
      ],
      [
        '/v1/prune',
        { model: 'base-cnn', dataset: 'shapes' },
        { model: baseId, dataset: datasetId },
      ],
      [
        '/v1/explanations',
        { model: 'base-cnn', method: 'lime', dataset: 'shapes', sampleSize: 1 },
        { model: baseId, dataset: datasetId },
      ],
      [
        '/v1/jobs',
        { kind: 'finetune', spec: { baseModel: 'base-cnn', dataset: 'shapes' } },
        { baseModel: baseId, dataset: datasetId },
      ],
    ];
    for (const [route, body, ids] of queued) {
      const res = await app.post(route, body);
      assert.equal(res.status, 202, `${route}: ${res.text}`);
      const stored = await specOf(res.body.id);
      for (const [field, id] of Object.entries(ids)) assert.equal(stored[field], id, route);
      await app.post(`/v1/jobs/${res.body.id}/cancel`);
    }

    // The base model's id is also the twin's name (test above): the worker reads the stored id
    // as an id, never as a name, so the queued job is not ambiguous.
    const job = await finished(tunedJob);
    assert.equal(job.status, 'succeeded', job.error ?? '');
    tunedId = job.result?.modelId as string;
    const evaluation = (await app.get('/v1/models/tuned-cnn/evaluation').expect(200)).body;
    assert.equal(evaluation.model, tunedId);
    assert.equal(evaluation.split, 'test');
  });

  test('a pruned model is evaluated on the test split and its files download byte for byte', async () => {
    const res = await app
      .post('/v1/prune', { model: 'tuned-cnn', budgets: [0.5], fineTuneEpochs: 1, batchSize: 4 })
      .expect(202);
    const job = await finished(res.body.id);
    assert.equal(job.status, 'succeeded', job.error ?? '');
    prunedId = (job.result?.family as { modelId: string }[])[0].modelId;
    const pruned = (await app.get(`/v1/models/${prunedId}`).expect(200)).body;
    assert.equal(pruned.lineage.method, 'prune');
    // Evaluated like every registered model: the 6 test examples of the data set.
    const evaluation = (await app.get(`/v1/models/${prunedId}/evaluation`).expect(200)).body;
    assert.equal(evaluation.split, 'test');
    assert.equal(evaluation.count, 6);
    assert.equal(typeof pruned.testAccuracy, 'number');
    assert.equal(pruned.testAccuracy, evaluation.accuracy);
    const listed = (await app.get('/v1/models?limit=100').expect(200)).body.items as {
      id: string;
      testAccuracy: number | null;
    }[];
    assert.equal(listed.find((m) => m.id === prunedId)?.testAccuracy, evaluation.accuracy);

    const files = (await app.get(`/v1/models/${pruned.name}/files`).expect(200)).body;
    assert.equal(files.model, prunedId);
    assert.deepEqual(
      files.files.map((f: { name: string }) => f.name),
      ['model.json', 'weights.bin', 'model-card.json'],
    );
    const bytes: Record<string, Buffer> = {};
    for (const f of files.files as { name: string; url: string; size: number; sha256: string }[]) {
      const got = await app.get(f.url).responseType('blob').expect(200);
      const body = got.body as Buffer;
      assert.equal(body.length, f.size, f.name);
      assert.equal(crypto.createHash('sha256').update(body).digest('hex'), f.sha256, f.name);
      bytes[f.name] = body;
    }
    const card = JSON.parse(bytes['model-card.json'].toString('utf8'));
    assert.deepEqual(card.classNames, ['dark', 'light']);
    assert.equal(card.evaluation.accuracy, evaluation.accuracy);
    // The downloaded model.json + weights.bin are the model: re-imported, it predicts the same.
    const reimported = await app.http
      .post('/v1/models')
      .set('Authorization', `Bearer ${app.key}`)
      .field('name', 'pruned-copy')
      .field('classNames', 'dark,light')
      .attach('model.json', bytes['model.json'], 'model.json')
      .attach('weights', bytes['weights.bin'], 'weights.bin')
      .expect(201);
    const image = { images: [Array.from({ length: 64 }, (_, i) => (i % 7) / 7)] };
    const a = (await app.post(`/v1/models/${prunedId}/predict`, image).expect(200)).body;
    const b = (await app.post(`/v1/models/${reimported.body.id}/predict`, image).expect(200)).body;
    assert.deepEqual(b.predictions, a.predictions);
    // Only the listed names are served: anything else is a 404, never a path.
    await app.get(`/v1/models/${prunedId}/files/prune.json`).expect(404);
    await app.get(`/v1/models/${prunedId}/files/..%2F..%2Fadmin.key`).expect(404);
  });

  test('GET /v1/datasets/:ref/examples/:index is a PNG thumbnail of an image example', async () => {
    const png = await app.get('/v1/datasets/shapes/examples/0').buffer(true).expect(200);
    assert.equal(png.headers['content-type'], 'image/png');
    assert.deepEqual([...(png.body as Buffer).subarray(0, 4)], PNG_MAGIC);
    await app.get('/v1/datasets/shapes/examples/24').expect(404);
    await app.get('/v1/datasets/shapes/examples/-1').expect(404);
  });

  test('CLI: models download / evaluation by name, jobs artifacts download, jobs dynamics -o', async () => {
    const dir = path.join(app.home, 'cli-out');
    const dl = await cli(['models', 'download', 'tuned-cnn', '-o', path.join(dir, 'model')]);
    assert.match(dl.stdout, /weights\.bin {2}\d+ bytes/);
    assert.match(dl.stderr, /100% 3 file\(s\)/, 'a progress indication (lines on a pipe)');
    const listing = (await app.get(`/v1/models/${tunedId}/files`).expect(200)).body;
    for (const f of listing.files as { name: string; sha256: string }[]) {
      const local = fs.readFileSync(path.join(dir, 'model', f.name));
      assert.equal(crypto.createHash('sha256').update(local).digest('hex'), f.sha256, f.name);
    }

    const evaluation = await cli(['models', 'evaluation', 'tuned-cnn']);
    assert.match(evaluation.stdout, /test split: 6 examples, accuracy \d\.\d{4}/);
    assert.match(evaluation.stdout, /confusion \(rows: true class, columns: predicted\)/);

    const artifacts = await cli([
      '--json',
      'jobs',
      'artifacts',
      'download',
      tunedJob,
      'dynamics.json',
      '-o',
      path.join(dir, 'artifacts'),
    ]);
    const [written] = JSON.parse(artifacts.stdout) as { file: string }[];
    const served = await app.get(`/v1/jobs/${tunedJob}/artifacts/dynamics.json`).buffer(true);
    assert.deepEqual(fs.readFileSync(written.file), Buffer.from(served.text));
    await assert.rejects(
      cli(['jobs', 'artifacts', 'download', tunedJob, 'nope.bin', '-o', dir]),
      /has no artifact nope\.bin; it has .*dynamics\.json/,
    );

    const thumbs = path.join(dir, 'suspects');
    const dyn = await cli(['jobs', 'dynamics', tunedJob, '--limit', '3', '-o', thumbs]);
    assert.match(dyn.stdout, /RANK\s+SAMPLE\s+SCORE/);
    const pngs = fs.readdirSync(thumbs).sort();
    assert.equal(pngs.length, 3);
    assert.match(pngs[0], /^rank-000-sample-\d+\.png$/);
    // Each thumbnail is the data set's own example of that sample id.
    const sample = /sample-(\d+)\.png$/.exec(pngs[0])?.[1] as string;
    const direct = await app.get(`/v1/datasets/${datasetId}/examples/${sample}`).buffer(true);
    assert.deepEqual(fs.readFileSync(path.join(thumbs, pngs[0])), direct.body as Buffer);
  });

  test('CLI: explain --model <name> and predict --rows with or without a header line', async () => {
    const explained = JSON.parse(
      (
        await cli([
          '--json',
          'explain',
          '--model',
          'tuned-cnn',
          '--dataset',
          'shapes',
          '--sample-size',
          '1',
          '--no-wait',
        ])
      ).stdout,
    );
    const spec = await specOf(explained.id);
    assert.equal(spec.model, tunedId);
    assert.equal(spec.dataset, datasetId);
    await app.post(`/v1/jobs/${explained.id}/cancel`);

    await app
      .post('/v1/models', {
        name: 'tab-mlp',
        architecture: 'mlp',
        inputShape: [3],
        classNames: ['a', 'b'],
        featureNames: ['f1', 'f2', 'f3'],
        seed: 4,
      })
      .expect(201);
    const rows = '0.1,0.2,0.3\n0.9,0.1,0.5\n';
    const files = {
      bare: rows,
      header: `f1,f2,f3\n${rows}`,
      labelled: 'f1,f2,f3,label\n0.1,0.2,0.3,a\n0.9,0.1,0.5,b\n',
    };
    const predictions: Record<string, unknown> = {};
    for (const [name, text] of Object.entries(files)) {
      const file = path.join(app.home, `${name}.csv`);
      fs.writeFileSync(file, text);
      const out = await cli(['--json', 'models', 'predict', 'tab-mlp', '--rows', file]);
      predictions[name] = JSON.parse(out.stdout).predictions;
    }
    assert.equal((predictions.bare as unknown[]).length, 2);
    assert.deepEqual(predictions.header, predictions.bare);
    assert.deepEqual(predictions.labelled, predictions.bare);
    // Numeric column names need --header (not detectable); --no-header makes a header data.
    const numeric = path.join(app.home, 'numeric.csv');
    fs.writeFileSync(numeric, `1,2,3\n${rows}`);
    const forced = await cli([
      '--json',
      'models',
      'predict',
      'tab-mlp',
      '--rows',
      numeric,
      '--header',
    ]);
    assert.deepEqual(JSON.parse(forced.stdout).predictions, predictions.bare);
    await assert.rejects(
      cli([
        'models',
        'predict',
        'tab-mlp',
        '--rows',
        path.join(app.home, 'header.csv'),
        '--no-header',
      ]),
      /header\.csv:1: column x0 is not a number: "f1"/,
    );
  });

  test('CLI: search list, importance and trials --csv of a command study', async () => {
    const created = await app
      .post('/v1/studies', {
        name: 'cli-quadratic',
        space: { x: { type: 'float', low: -5, high: 5 }, y: { type: 'int', low: 0, high: 3 } },
        metrics: ['loss'],
        sampler: { name: 'random', settings: { seed: 5 } },
        budget: { nTrials: 6, parallelism: 1 },
        runner: {
          type: 'command',
          command: [
            process.execPath,
            '-e',
            'const p = JSON.parse(process.env.AUTODL_TRIAL_PARAMS); console.log("loss=" + ((p.x - 2) ** 2 + p.y))',
          ],
        },
      })
      .expect(202);
    const driver = await finished(created.body.jobId);
    assert.equal(driver.status, 'succeeded', driver.error ?? '');

    const list = await cli(['search', 'list']);
    assert.match(list.stdout, new RegExp(`${created.body.id}\\s+cli-quadratic\\s+completed`));
    const importance = await cli(['--json', 'search', 'importance', created.body.id]);
    assert.deepEqual(Object.keys(JSON.parse(importance.stdout).importance).sort(), ['x', 'y']);

    const file = path.join(app.home, 'trials.csv');
    const exported = await cli(['search', 'trials', created.body.id, '--csv', '-o', file]);
    assert.match(exported.stderr, /wrote 6 trial\(s\)/);
    const records = splitCsv(fs.readFileSync(file, 'utf8'), 'trials.csv').map((r) => r.fields);
    assert.deepEqual(records[0].slice(0, 5), [
      'number',
      'state',
      'value_loss',
      'params_x',
      'params_y',
    ]);
    assert.equal(records.length, 7);
    const trials = (await app.get(`/v1/studies/${created.body.id}/trials`).expect(200)).body
      .items as { number: number; values: number[]; params: { x: number; y: number } }[];
    for (const t of trials) {
      const row = records[t.number + 1];
      assert.equal(Number(row[2]), t.values[0]);
      assert.equal(Number(row[3]), t.params.x);
      assert.equal(Number(row[4]), t.params.y);
    }
    const stdout = await cli(['search', 'trials', created.body.id, '--csv']);
    assert.equal(stdout.stdout, fs.readFileSync(file, 'utf8'));
  });
});
