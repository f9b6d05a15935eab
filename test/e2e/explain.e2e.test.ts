import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Global, Module } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import type request from 'supertest';
import { CAPABILITY_MODULES } from '../../src/capabilities';
import { precisionAtK, type SampleDynamics } from '../../src/interpret/core/training-dynamics';
import { gaussianRows, sigmoid } from '../support/interpret-fixtures';
import { selectBackend } from '../../src/ml/backend';
import { Dataset } from '../../src/ml/data';
import {
  MODEL_REGISTRY,
  type InferenceModel,
  type ModelRegistryPort,
  type RegisteredModel,
} from '../../src/registry/model-registry.port';
import { ArtifactStore } from '../../src/platform/artifacts/artifact-store';
import { ProjectsService } from '../../src/platform/auth/projects.service';
import { Rng } from '../../src/platform/core/rng';
import { NotFoundError } from '../../src/platform/errors/domain-error';
import type { JobContext, JobHandler } from '../../src/platform/jobs/job-handler';
import { JobHandlerRegistry } from '../../src/platform/jobs/job-handler.registry';
import { ArtifactsRepository } from '../../src/platform/artifacts/artifacts.repository';
import { JobsRepository } from '../../src/platform/jobs/jobs.repository';
import { newWorkerId } from '../../src/platform/jobs/worker-id';
import { JobRunner } from '../../src/platform/jobs/job-runner';
import { startTestApp, type TestApp } from '../support/app';

/**
 * The explanations API end to end: real app, real PostgreSQL, the platform's JobRunner, and a
 * model registry port implemented here over a tiny TF.js model (the registry module may not be
 * installed). The test module replaces the registry's module in CAPABILITY_MODULES while the app
 * starts, so the API resolves MODEL_REGISTRY from it; jobs run in this process (worker children
 * would not load it). explain-registry.e2e.test.ts runs against the real registry and workers.
 */
const FEATURES = ['a', 'b', 'c', 'd'];
/** The tabular model is logistic with known weights: p(yes | x) = sigmoid(3a - 2b). */
const TRUE_WEIGHTS = [3, -2, 0, 0];
const FLIPPED = new Set(['3', '11', '19', '27']);

let owner = '';

function meta(id: string, over: Partial<RegisteredModel>): RegisteredModel {
  return {
    id,
    projectId: owner,
    name: id,
    inputKind: 'tabular',
    inputShape: [4],
    classNames: ['no', 'yes'],
    datasetId: null,
    ...over,
  };
}

function tabularModel(): InferenceModel {
  const net = tf.sequential({
    layers: [tf.layers.dense({ units: 2, inputShape: [4], activation: 'softmax' })],
  });
  // Logits [0, w.x]: softmax gives p(yes) = sigmoid(w.x).
  net.setWeights([tf.tensor2d(TRUE_WEIGHTS.map((w) => [0, w])), tf.zeros([2])]);
  return {
    meta: meta('tab', { featureNames: FEATURES, datasetId: 'ds-tab' }),
    predictRows: async (rows) =>
      tf.tidy(() =>
        (net.predict(tf.tensor2d(rows, [rows.length, 4])) as tf.Tensor).arraySync(),
      ) as number[][],
    predictImages: async () => assert.fail('not an image model'),
    predictTexts: async () => assert.fail('not a text model'),
    dispose: () => net.dispose(),
  };
}

/** 16x16 grey model that looks only at the top-left quadrant's brightness. */
function imageModel(): InferenceModel {
  return {
    meta: meta('img', {
      inputKind: 'image',
      inputShape: [16, 16, 1],
      classNames: ['dark', 'bright'],
      datasetId: 'ds-img',
    }),
    predictImages: async (batch) =>
      batch.map((px) => {
        assert.equal(px.length, 256, 'a one-channel model receives grey pixels');
        let s = 0;
        for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) s += px[y * 16 + x];
        const p = sigmoid(12 * (s / 64 - 0.5));
        return [1 - p, p];
      }),
    predictRows: async () => assert.fail('not tabular'),
    predictTexts: async () => assert.fail('not text'),
    dispose: () => undefined,
  };
}

function textModel(): InferenceModel {
  return {
    meta: meta('txt', {
      inputKind: 'text',
      inputShape: [1],
      classNames: ['ham', 'spam'],
      datasetId: 'ds-txt',
    }),
    predictTexts: async (texts) =>
      texts.map((t) => (/\bfree\b/.test(t) ? [0.1, 0.9] : [0.85, 0.15])),
    predictRows: async () => assert.fail('not tabular'),
    predictImages: async () => assert.fail('not images'),
    dispose: () => undefined,
  };
}

function greyImage(seed: number, bright: boolean): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: 256 }, (_, i) =>
    bright && i % 16 < 8 && i < 128 ? rng.uniform(0.8, 1) : rng.uniform(0, 0.4),
  );
}

const DATASETS: Record<string, () => Dataset> = {
  'ds-tab': () => {
    const rows = gaussianRows(200, 4, 7);
    return new Dataset(
      { kind: 'tabular', featureNames: FEATURES, rows },
      rows.map((r) => (3 * r[0] - 2 * r[1] > 0 ? 1 : 0)),
      ['no', 'yes'],
    );
  },
  'ds-three': () =>
    new Dataset(
      { kind: 'tabular', featureNames: ['a', 'b', 'c'], rows: gaussianRows(10, 3, 1) },
      new Array<number>(10).fill(0),
      ['no', 'yes'],
    ),
  'ds-img': () =>
    new Dataset(
      {
        kind: 'image',
        shape: { height: 16, width: 16, channels: 1 },
        pixels: [0, 1, 2, 3, 4, 5].map((s) => greyImage(s, s % 2 === 0)),
      },
      [1, 0, 1, 0, 1, 0],
      ['dark', 'bright'],
    ),
  'ds-img32': () =>
    new Dataset(
      {
        kind: 'image',
        shape: { height: 32, width: 32, channels: 3 },
        pixels: [new Float32Array(32 * 32 * 3)],
      },
      [0],
      ['dark', 'bright'],
    ),
  'ds-txt': () =>
    new Dataset(
      {
        kind: 'text',
        texts: [
          'win a free prize now',
          'free money for you',
          'meeting moved to monday',
          'lunch at noon today',
          'get free tickets today',
          'the report is attached',
        ],
      },
      [1, 1, 0, 0, 1, 0],
      ['ham', 'spam'],
    ),
};

class TestRegistry implements ModelRegistryPort {
  async loadForInference(projectId: string, modelId: string): Promise<InferenceModel> {
    const make = { tab: tabularModel, img: imageModel, txt: textModel }[modelId];
    if (!make || projectId !== owner) throw new NotFoundError('model', modelId);
    return make();
  }
  async loadDataset(projectId: string, datasetId: string): Promise<Dataset> {
    const make = DATASETS[datasetId];
    if (!make || projectId !== owner) throw new NotFoundError('dataset', datasetId);
    return make();
  }
}

/**
 * Training dynamics as the AUM paper describes them (Pleiss et al. 2020, fig. 1): a clean sample's
 * margin climbs over the epochs; a flipped one's stays negative because its features pull
 * towards its true class. Stored as the `dynamics.json` artifact a finetune job writes.
 */
class RecordDynamicsHandler implements JobHandler<Record<string, never>, { samples: number }> {
  readonly kind = 'test-record-dynamics';
  validate(): Record<string, never> {
    return {};
  }
  async run(_spec: unknown, ctx: JobContext): Promise<{ samples: number }> {
    const rng = new Rng(3);
    const samples: SampleDynamics[] = Array.from({ length: 40 }, (_, i) => ({
      id: String(i),
      epochs: Array.from({ length: 6 }, (_, e) => {
        const margin = FLIPPED.has(String(i))
          ? -1.5 + rng.normal() * 0.8
          : -1 + e * 0.9 + rng.normal() * 0.8;
        return {
          epoch: e,
          loss: Math.log1p(Math.exp(-margin)),
          assignedLogit: margin / 2,
          largestOtherLogit: -margin / 2,
          correct: margin > 0,
        };
      }),
    }));
    // The layout src/transfer's finetune handler writes with recordDynamics: true.
    const artifact = { dataset: 'ds-tab', split: 'train', classNames: ['no', 'yes'], samples };
    await ctx.artifact('dynamics.json', JSON.stringify(artifact), 'application/json');
    return { samples: samples.length };
  }
}

@Global()
@Module({
  providers: [{ provide: MODEL_REGISTRY, useClass: TestRegistry }],
  exports: [MODEL_REGISTRY],
})
class TestRegistryModule {
  constructor(jobs: JobHandlerRegistry) {
    jobs.register(new RecordDynamicsHandler());
  }
}

/** A module that provides the real registry, or imports one that does (e.g. NasModule). */
function providesRegistry(module: unknown): boolean {
  const providers = (Reflect.getMetadata('providers', module as object) ?? []) as unknown[];
  const imports = (Reflect.getMetadata('imports', module as object) ?? []) as unknown[];
  return (
    providers.some(
      (p) =>
        typeof p === 'object' &&
        p !== null &&
        (p as { provide?: unknown }).provide === MODEL_REGISTRY,
    ) || imports.some((m) => providesRegistry(m))
  );
}

describe('explanations API e2e (real app and PostgreSQL, test registry port)', () => {
  let app: TestApp;
  let runner: JobRunner;
  let queue: JobsRepository;
  const workerId = newWorkerId();

  /** Runs every queued job in this process, like a pool worker would. */
  async function drain(): Promise<void> {
    for (let job = await queue.claimNext(workerId); job; job = await queue.claimNext(workerId))
      await runner.run(job, workerId);
  }

  before(async () => {
    await selectBackend('cpu');
    // The test registry stands in for the module that provides MODEL_REGISTRY (if installed).
    const saved = [...CAPABILITY_MODULES];
    CAPABILITY_MODULES.splice(
      0,
      saved.length,
      ...saved.filter((m) => !providesRegistry(m)),
      TestRegistryModule,
    );
    try {
      app = await startTestApp({ workers: 0, coordinators: 0 });
    } finally {
      CAPABILITY_MODULES.splice(0, CAPABILITY_MODULES.length, ...saved);
    }
    const nest = app.running.app;
    owner = (await nest.get(ProjectsService).authenticate(app.key))?.projectId ?? '';
    queue = nest.get(JobsRepository);
    runner = new JobRunner(
      queue,
      nest.get(ArtifactsRepository),
      nest.get(ArtifactStore),
      nest.get(JobHandlerRegistry),
      200,
    );
  });
  after(async () => {
    await app?.close();
  });

  test('lime, tabular: a logistic model with weights (3, -2, 0, 0) is explained by a (+) and b (-), AOPC beats random, PNG bar charts served', async () => {
    const body = {
      model: 'tab',
      method: 'lime',
      instances: [
        [0.8, -0.6, 0.1, 0.2],
        [-0.5, 0.4, 0, 0],
      ],
      parameters: { numSamples: 600, numFeatures: 4, discretize: false, randomRepeats: 8 },
    };
    const created = await app
      .post('/v1/explanations', body)
      .set('Idempotency-Key', 'e-1')
      .expect(202);
    assert.equal(created.body.method, 'lime');
    assert.equal(created.body.status, 'queued');
    const again = await app
      .post('/v1/explanations', body)
      .set('Idempotency-Key', 'e-1')
      .expect(202);
    assert.equal(again.body.id, created.body.id);
    await drain();
    const res = await app.get(`/v1/explanations/${created.body.id}`).expect(200);
    assert.equal(res.body.status, 'succeeded', res.body.error);
    const { explanations, summary } = res.body.result;
    assert.deepEqual(
      explanations.map((e: { className: string }) => e.className),
      ['yes', 'no'],
    );
    for (const e of explanations as {
      label: number;
      weights: number[];
      features: { name: string }[];
    }[]) {
      assert.deepEqual(
        e.features
          .slice(0, 2)
          .map((f) => f.name)
          .sort(),
        ['a', 'b'],
      );
      // d p(label)/dx has the sign of the true weight for `yes` and the opposite for `no`.
      const s = e.label === 1 ? 1 : -1;
      assert.ok(s * e.weights[0] > 0 && s * e.weights[1] < 0, JSON.stringify(e.weights));
    }
    assert.ok(summary.meanAopc > summary.meanRandomAopc);
    assert.deepEqual(
      res.body.artifacts.map((a: { name: string }) => a.name),
      ['explanation-0.png', 'explanation-1.png'],
    );
    const png = await app.get(res.body.artifacts[0].url).buffer(true).parse(binary).expect(200);
    assert.equal(png.headers['content-type'], 'image/png');
    assert.ok(PNG.sync.read(png.body as Buffer).width > 0);
  });

  test('normlime, tabular over a sample of the training set: a and b lead both classes (Ahern et al. 2019)', async () => {
    const created = await app
      .post('/v1/explanations', {
        model: 'tab',
        method: 'normlime',
        sampleSize: 16,
        parameters: { numSamples: 300, discretize: false },
      })
      .expect(202);
    await drain();
    const res = await app.get(`/v1/explanations/${created.body.id}`).expect(200);
    assert.equal(res.body.status, 'succeeded', res.body.error);
    assert.equal(res.body.result.instances, 16);
    for (const c of res.body.result.classes.filter((k: { count: number }) => k.count > 0)) {
      assert.deepEqual(
        c.ranking
          .slice(0, 2)
          .map((f: { feature: string }) => f.feature)
          .sort(),
        ['a', 'b'],
      );
    }
    assert.ok(res.body.artifacts.some((a: { name: string }) => a.name.startsWith('normlime-')));
  });

  test('normlime, text from the model data set: the planted trigger "free" tops class spam; lime on a grey image of a one-channel model', async () => {
    const text = await app
      .post('/v1/explanations', {
        model: 'txt',
        method: 'normlime',
        parameters: { numSamples: 200 },
      })
      .expect(202);
    const image = await app
      .post('/v1/explanations', {
        model: 'img',
        method: 'lime',
        instances: [{ width: 16, height: 16, data: Array.from(greyImage(9, true)) }],
        parameters: { numSamples: 200, nSegments: 16, baseline: [0, 0, 0] },
      })
      .expect(202);
    await drain();
    const t = (await app.get(`/v1/explanations/${text.body.id}`).expect(200)).body;
    assert.equal(t.status, 'succeeded', t.error);
    const spam = t.result.classes.find((c: { className: string }) => c.className === 'spam');
    assert.equal(spam.ranking[0].feature, 'free');
    const i = (await app.get(`/v1/explanations/${image.body.id}`).expect(200)).body;
    assert.equal(i.status, 'succeeded', i.error);
    const e = i.result.explanations[0];
    assert.equal(e.className, 'bright');
    assert.ok(e.faithfulness.aopc > e.faithfulness.randomAopc);
    const png = PNG.sync.read(
      (await app.get(i.artifacts[0].url).buffer(true).parse(binary).expect(200)).body as Buffer,
    );
    // The heatmap is the 16x16 image upscaled by the largest factor <= 8 that stays <= 256 px.
    assert.deepEqual([png.width, png.height], [128, 128]);
  });

  test('bad input is a 4xx naming the mismatch, nothing is queued', async () => {
    const before = (await app.get('/v1/jobs?limit=1').expect(200)).body.total;
    const unknown = await app
      .post('/v1/explanations', { model: 'nope', method: 'lime', instances: [[1]] })
      .expect(404);
    assert.match(unknown.body.detail, /model nope not found/);
    const shape = await app
      .post('/v1/explanations', {
        model: 'tab',
        method: 'lime',
        instances: [
          [0, 0, 0, 0],
          [1, 2],
        ],
      })
      .expect(422);
    assert.equal(shape.body.errors[0].field, 'instances[1]');
    assert.match(shape.body.errors[0].message, /4 finite numbers \(model features: a, b, c, d\)/);
    const ds = await app
      .post('/v1/explanations', { model: 'tab', method: 'normlime', dataset: 'ds-three' })
      .expect(422);
    assert.equal(ds.body.errors[0].field, 'dataset');
    assert.match(ds.body.errors[0].message, /has 3 features \(a, b, c\) but model tab takes 4/);
    const kind = await app
      .post('/v1/explanations', { model: 'img', method: 'normlime', dataset: 'ds-tab' })
      .expect(422);
    assert.match(kind.body.detail, /holds tabular data but model img takes image inputs/);
    const size = await app
      .post('/v1/explanations', { model: 'img', method: 'normlime', dataset: 'ds-img32' })
      .expect(422);
    assert.match(size.body.detail, /32x32x3 images but model img takes 16x16x1/);
    const img = await app
      .post('/v1/explanations', {
        model: 'img',
        method: 'lime',
        instances: [{ width: 8, height: 8, data: [] }],
      })
      .expect(422);
    assert.match(img.body.errors[0].message, /width: 16, height: 16/);
    await app
      .post('/v1/explanations', { model: 'tab', method: 'lime', dataset: 'ds-none', sampleSize: 2 })
      .expect(404);
    const labels = await app
      .post('/v1/explanations', {
        model: 'tab',
        method: 'lime',
        instances: [[0, 0, 0, 0]],
        labels: [5],
      })
      .expect(422);
    assert.equal(labels.body.errors[0].field, 'labels[0]');
    const params = await app
      .post('/v1/explanations', {
        model: 'tab',
        method: 'lime',
        instances: [[0, 0, 0, 0]],
        parameters: { numSample: 5, numFeatures: 0 },
      })
      .expect(400);
    assert.deepEqual(params.body.errors.map((p: { field: string }) => p.field).sort(), [
      'parameters.numFeatures',
      'parameters.numSample',
    ]);
    const none = await app.post('/v1/explanations', { model: 'tab', method: 'lime' }).expect(400);
    assert.equal(none.body.errors[0].field, 'instances');
    await app
      .post('/v1/explanations', { model: 'tab', method: 'shap', instances: [[0, 0, 0, 0]] })
      .expect(400);
    assert.equal((await app.get('/v1/jobs?limit=1').expect(200)).body.total, before);
  });

  test("tenant isolation: another project's key sees neither the models nor the explanations", async () => {
    const mine = await app
      .post('/v1/explanations', { model: 'tab', method: 'lime', instances: [[0, 0, 0, 0]] })
      .expect(202);
    const other = await app.createKey('explain-other');
    await app.get(`/v1/explanations/${mine.body.id}`, other).expect(404);
    await app
      .get(`/v1/explanations/${mine.body.id}/artifacts/explanation-0.png`, other)
      .expect(404);
    await app
      .post('/v1/explanations', { model: 'tab', method: 'lime', instances: [[0, 0, 0, 0]] }, other)
      .expect(404);
    const noop = await app.post('/v1/jobs', { kind: 'noop' }).expect(202);
    await app.get(`/v1/explanations/${noop.body.id}`).expect(404);
    await drain();
  });

  test('GET /v1/jobs/:id/dynamics ranks the flipped labels first (AUM, precision@4 = 1; forgetting and combined too)', async () => {
    const job = await app.post('/v1/jobs', { kind: 'test-record-dynamics' }).expect(202);
    await drain();
    for (const method of ['aum', 'forgetting', 'combined']) {
      const res = await app
        .get(`/v1/jobs/${job.body.id}/dynamics?method=${method}&limit=4`)
        .expect(200);
      assert.equal(res.body.samples, 40);
      assert.deepEqual([res.body.dataset, res.body.split], ['ds-tab', 'train']);
      assert.equal(res.body.epochs, 6);
      assert.equal(res.body.suspects.length, 4);
      assert.match(res.body.methodDescription, method === 'aum' ? /Pleiss/ : /./);
      assert.equal(precisionAtK(res.body.suspects, FLIPPED, 4), 1, method);
    }
    const noop = await app.post('/v1/jobs', { kind: 'noop' }).expect(202);
    const queued = await app.get(`/v1/jobs/${noop.body.id}/dynamics`).expect(409);
    assert.match(queued.body.detail, /queued/);
    await drain();
    const missing = await app.get(`/v1/jobs/${noop.body.id}/dynamics`).expect(404);
    assert.match(missing.body.detail, /recordDynamics/);
    await app.get(`/v1/jobs/${job.body.id}/dynamics?method=vibes`).expect(400);
    const other = await app.createKey('dynamics-other');
    await app.get(`/v1/jobs/${job.body.id}/dynamics`, other).expect(404);
  });
});

/** supertest parser keeping a binary body (PNG) as a Buffer. */
function binary(res: request.Response, cb: (err: Error | null, body: Buffer) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
}
