import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { UnprocessableError, ValidationError } from '../platform/errors/domain-error';
import { JobCancelledError, type ArtifactRef, type JobContext } from '../platform/jobs/job-handler';
import { decodeSegments } from './core/segments-rle';
import {
  blockImage,
  gaussianRows,
  logisticModel,
  sigmoid,
} from '../../test/support/interpret-fixtures';
import type { RgbImage } from './core/types';
import { ExplainJobHandler } from './explain.handler';
import type { ExplainableModel } from './core/explainable-model';
import type { PredictProvider } from './predict-provider';
import { NormLimeJobHandler } from './normlime.handler';

class FakeContext implements JobContext {
  readonly jobId = 'job-1';
  readonly projectId = 'p';
  readonly attempt = 1;
  readonly artifacts = new Map<string, Buffer>();
  checkpoints: unknown[] = [];
  cancelled = false;
  readonly signal = new AbortController().signal;
  constructor(readonly resumeFrom: unknown = undefined) {}
  async progress(): Promise<void> {}
  async log(): Promise<void> {}
  async metric(): Promise<void> {}
  async checkpoint(state: unknown): Promise<void> {
    this.checkpoints.push(JSON.parse(JSON.stringify(state)));
  }
  async artifact(
    name: string,
    data: Buffer | string,
    contentType = 'application/octet-stream',
  ): Promise<ArtifactRef> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    this.artifacts.set(name, buf);
    return { jobId: this.jobId, name, size: buf.length, sha256: '', contentType };
  }
  async readArtifact(): Promise<Buffer> {
    throw new Error('not used');
  }
}

const W = [3, -2, 0, 0];
const tabular: ExplainableModel = {
  inputKind: 'tabular',
  predict: logisticModel(W),
  classNames: ['no', 'yes'],
  featureNames: ['a', 'b', 'c', 'd'],
  trainingData: gaussianRows(200, 4, 1),
  dataset: gaussianRows(40, 4, 2),
};
const text: ExplainableModel = {
  inputKind: 'text',
  predict: async (batch) => batch.map((t) => (/\bfree\b/.test(t) ? [0.05, 0.95] : [0.9, 0.1])),
  classNames: ['ham', 'spam'],
  dataset: [
    'win a free prize now',
    'free money for you',
    'meeting moved to monday',
    'lunch at noon today',
    'get free tickets',
  ],
};
const image: ExplainableModel = {
  inputKind: 'image',
  inputShape: [32, 32, 3],
  classNames: ['dark', 'bright'],
  predict: async (batch: RgbImage[]) =>
    batch.map((img) => {
      let s = 0;
      for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) s += img.data[(y * 32 + x) * 3];
      const p = sigmoid(8 * (s / 256 - 0.4));
      return [1 - p, p];
    }),
  dataset: [1, 2, 3, 4].map((s) => blockImage(s)),
};
const provider: PredictProvider = {
  async load(ref) {
    const m = { tabular, text, image }[ref];
    if (!m) throw new Error(`unknown ${ref}`);
    return m;
  },
};

describe('explain job handler', () => {
  const handler = new ExplainJobHandler(provider);

  test('validate names bad fields (400) and fills defaults', () => {
    assert.throws(
      () =>
        handler.validate({
          model: 'tabular',
          instances: [],
          parameters: { numSamples: 3, featureSelection: 'best' },
        }),
      (e: unknown) =>
        e instanceof ValidationError &&
        ['instances', 'parameters.numSamples', 'parameters.featureSelection'].every((f) =>
          e.problems.some((p) => p.field === f),
        ),
    );
    const spec = handler.validate({ model: 'tabular', instances: [[0, 0, 0, 0]] });
    assert.equal(spec.parameters.numSamples, 1000);
  });

  test('tabular: weights rank the true features a, b first, AOPC beats random, PNG bar chart stored', async () => {
    const ctx = new FakeContext();
    const spec = handler.validate({
      model: 'tabular',
      instances: [
        [0.8, -0.6, 0.1, 0.2],
        [-0.5, 0.4, 0, 0],
      ],
      parameters: { numSamples: 800, numFeatures: 4, discretize: false, randomRepeats: 10 },
    });
    const r = await handler.run(spec, ctx);
    assert.equal(r.explanations.length, 2);
    for (const e of r.explanations) {
      const names = (e.features as { name: string }[])
        .slice(0, 2)
        .map((f) => f.name)
        .sort();
      assert.deepEqual(names, ['a', 'b']);
    }
    assert.ok(r.summary.meanAopc > r.summary.meanRandomAopc);
    assert.equal(PNG.sync.read(ctx.artifacts.get('explanation-0.png') as Buffer).width, 640);
  });

  test('instance/feature mismatch is a 422 naming the instance and the expected shape', async () => {
    const spec = handler.validate({
      model: 'tabular',
      instances: [
        [0, 0, 0, 0],
        [1, 2],
      ],
    });
    await assert.rejects(
      handler.run(spec, new FakeContext()),
      (e: unknown) =>
        e instanceof UnprocessableError &&
        e.problems[0].field === 'instances[1]' &&
        /4 finite numbers/.test(e.problems[0].message),
    );
    const img = handler.validate({
      model: 'image',
      instances: [{ width: 8, height: 8, data: [] }],
    });
    await assert.rejects(handler.run(img, new FakeContext()), /instance/);
  });

  test('resuming from a checkpoint gives the same result as an uninterrupted run; cancellation stops', async () => {
    const spec = handler.validate({
      model: 'text',
      instances: ['free stuff here', 'see you at noon', 'totally free'],
      parameters: { numSamples: 200 },
    });
    const full = new FakeContext();
    const a = await handler.run(spec, full);
    const resumed = await handler.run(spec, new FakeContext(full.checkpoints[0]));
    assert.deepEqual(resumed, a);
    const cancelled = new FakeContext();
    cancelled.cancelled = true;
    await assert.rejects(handler.run(spec, cancelled), JobCancelledError);
  });

  test('image: heatmap PNG is the image upscaled to 256 px', async () => {
    const ctx = new FakeContext();
    const spec = handler.validate({
      model: 'image',
      instances: [{ width: 32, height: 32, data: Array.from(blockImage(9).data) }],
      parameters: { numSamples: 200, nSegments: 16, baseline: [0, 0, 0] },
    });
    const r = await handler.run(spec, ctx);
    assert.equal(r.explanations[0].className, 'bright');
    const png = PNG.sync.read(ctx.artifacts.get('explanation-0.png') as Buffer);
    assert.deepEqual([png.width, png.height], [256, 256]);
    // The console overlay needs the superpixel map and the image: the map decodes to one label
    // per pixel, each label indexes a weight, and input-0.png holds the image's own pixels.
    const e = r.explanations[0];
    assert.equal(e.input, 'input-0.png');
    assert.deepEqual([e.width, e.height], [32, 32]);
    const labels = decodeSegments(e.segments as number[]);
    assert.equal(labels.length, 32 * 32);
    assert.ok(labels.every((l) => l >= 0 && l < (e.weights as number[]).length));
    const input = PNG.sync.read(ctx.artifacts.get('input-0.png') as Buffer);
    const scale = input.width / 32;
    assert.ok(Number.isInteger(scale) && input.height === 32 * scale);
    const src = blockImage(9).data;
    for (const [x, y] of [
      [0, 0],
      [17, 5],
      [31, 31],
    ]) {
      const o = (y * scale * input.width + x * scale) * 4;
      assert.equal(input.data[o], Math.round(src[(y * 32 + x) * 3] * 255));
    }
  });
});

describe('normlime job handler', () => {
  const handler = new NormLimeJobHandler(provider);

  test('validate accepts its own output (the platform re-validates the stored spec in the worker)', () => {
    const explain = new ExplainJobHandler(provider);
    for (const [h, raw] of [
      [handler, { model: 'image', sampleSize: 5, dataset: 'd', parameters: { numClusters: 4 } }],
      [explain, { model: 'tabular', sampleSize: 3, dataset: 'd' }],
      [explain, { model: 'tabular', instances: [[0, 0, 0, 0]], labels: [1] }],
    ] as const) {
      const once = h.validate(raw);
      assert.deepEqual(h.validate(JSON.parse(JSON.stringify(once))), once);
    }
  });

  test('explain draws sampleSize instances from the data set; instances and sampleSize exclude each other', async () => {
    const explain = new ExplainJobHandler(provider);
    const r = await explain.run(
      explain.validate({ model: 'tabular', sampleSize: 3, parameters: { numSamples: 100 } }),
      new FakeContext(),
    );
    assert.equal(r.explanations.length, 3);
    assert.throws(
      () => explain.validate({ model: 'tabular', instances: [[0, 0, 0, 0]], sampleSize: 2 }),
      /sampleSize: give instances or sampleSize, not both/,
    );
    assert.throws(() => explain.validate({ model: 'tabular' }), /instances: required unless/);
    assert.throws(() => explain.validate({ model: 'tabular', sampleSize: 1, colour: 1 }), /colour/);
  });

  test('tabular sample from the dataset: a and b lead both classes; one bar chart per class', async () => {
    const ctx = new FakeContext();
    const r = await handler.run(
      handler.validate({
        model: 'tabular',
        sampleSize: 20,
        parameters: { numSamples: 400, discretize: false },
      }),
      ctx,
    );
    assert.equal(r.instances, 20);
    for (const c of r.classes.filter((k) => k.count > 0)) {
      assert.deepEqual(
        c.ranking
          .slice(0, 2)
          .map((f) => f.feature)
          .sort(),
        ['a', 'b'],
      );
      assert.ok(ctx.artifacts.has(`normlime-${c.classIndex}.png`));
    }
  });

  test('text: the trigger word "free" is the top spam feature over the union vocabulary', async () => {
    const r = await handler.run(
      handler.validate({ model: 'text', parameters: { numSamples: 300 } }),
      new FakeContext(),
    );
    const spam = r.classes.find((c) => c.className === 'spam');
    assert.equal(spam?.ranking[0].feature, 'free');
  });

  test('images: concepts, concept maps and a missing dataset error', async () => {
    const ctx = new FakeContext();
    const r = await handler.run(
      handler.validate({
        model: 'image',
        parameters: { numSamples: 100, nSegments: 16, numClusters: 4 },
      }),
      ctx,
    );
    assert.equal(r.features.length, 4);
    assert.ok(ctx.artifacts.has('concepts-0.png'));
    // Every concept comes with the image and superpixel it is drawn from.
    assert.equal(r.concepts?.length, 4);
    for (const c of r.concepts ?? []) {
      assert.ok(ctx.artifacts.has(c.input), c.input);
      const labels = decodeSegments(c.segments);
      assert.equal(labels.length, c.width * c.height);
      assert.ok(labels.includes(c.segment));
    }
    const noData = new NormLimeJobHandler({ load: async () => ({ ...text, dataset: undefined }) });
    await assert.rejects(
      noData.run(noData.validate({ model: 'x' }), new FakeContext()),
      UnprocessableError,
    );
    assert.throws(
      () => handler.validate({ model: 'image', parameters: { numClusters: 1 } }),
      /numClusters/,
    );
  });
});
