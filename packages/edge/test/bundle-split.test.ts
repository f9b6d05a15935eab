import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildZooModel } from '../../../src/ml/zoo/zoo';
import { BUNDLE_FORMAT, type Fetch, loadBundle, parseManifest } from '../src/bundle';
import { splitModel } from '../src/split-model';

describe('bundles and the backbone/head cut', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  test('loadBundle makes only GETs of the manifest and the two model files, with the key', async () => {
    const model = buildZooModel('small-cnn', { inputShape: [8, 8, 1], numClasses: 3, seed: 1 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(
        async (a) => (
          (artifacts = a),
          { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) }
        ),
      ),
    );
    const saved = artifacts as tf.io.ModelArtifacts;
    const manifest = {
      format: BUNDLE_FORMAT,
      model: { id: 'm1', name: 'base', architecture: 'small-cnn', params: 1, flops: 1 },
      labels: ['a', 'b', 'c'],
      input: { kind: 'image', shape: [8, 8, 1], featureNames: null, preprocessing: {} },
      files: ['model.json', 'weights.bin'].map((name) => ({
        name,
        url: `/v1/models/m1/files/${name}`,
        size: 0,
        sha256: '',
        contentType: 'application/octet-stream',
      })),
    };
    const calls: { url: string; init?: { headers?: Record<string, string>; method?: string } }[] =
      [];
    const fake: Fetch = async (url, init) => {
      calls.push({ url, init });
      const path = new URL(url).pathname;
      const body = path.endsWith('/bundle')
        ? manifest
        : path.endsWith('model.json')
          ? {
              modelTopology: saved.modelTopology,
              weightsManifest: [{ paths: ['weights.bin'], weights: saved.weightSpecs }],
            }
          : null;
      return {
        ok: true,
        status: 200,
        statusText: 'OK',
        json: async () => body,
        arrayBuffer: async () => saved.weightData as ArrayBuffer,
      };
    };
    const loaded = await loadBundle(
      { service: 'http://svc.test/', model: 'base', apiKey: 'k1' },
      fake,
    );
    assert.deepEqual(
      calls.map((c) => c.url),
      [
        'http://svc.test/v1/models/base/bundle',
        'http://svc.test/v1/models/m1/files/model.json',
        'http://svc.test/v1/models/m1/files/weights.bin',
      ],
    );
    assert.ok(
      calls.every(
        (c) => c.init?.method === undefined && c.init?.headers?.Authorization === 'Bearer k1',
      ),
    );
    assert.deepEqual(loaded.manifest.variants, []);
    const x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 3);
    const want = model.predict(x) as tf.Tensor;
    const got = loaded.model.predict(x) as tf.Tensor;
    assert.ok(
      tf.max(tf.abs(want.sub(got))).dataSync()[0] < 1e-6,
      'the loaded model predicts as the saved one',
    );
    tf.dispose([x, want, got]);
    loaded.model.dispose();
    model.dispose();
  });

  test('a manifest of another format, or without labels, is refused with a message', () => {
    assert.throws(() => parseManifest({ format: 'other' }), /not an export bundle manifest/);
    assert.throws(
      () => parseManifest({ format: BUNDLE_FORMAT, labels: ['only'] }),
      /at least 2 class names/,
    );
  });

  test('the head is a copy of the last K layers: same outputs, its own weights', () => {
    const model = buildZooModel('small-cnn', { inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
    const { backbone, head, featureShape } = splitModel(model, 2);
    assert.deepEqual(featureShape, [128]); // flatten of 2x2x32 at 8x8 input
    const x = tf.randomUniform([3, 8, 8, 1], 0, 1, 'float32', 4);
    const full = model.predict(x) as tf.Tensor;
    const split = head.predict(backbone.predict(x) as tf.Tensor) as tf.Tensor;
    assert.ok(tf.max(tf.abs(full.sub(split))).dataSync()[0] < 1e-6);
    head.layers[head.layers.length - 1].setWeights(
      head.layers[head.layers.length - 1].getWeights().map((w) => tf.zerosLike(w)),
    );
    const after = model.predict(x) as tf.Tensor;
    assert.ok(
      tf.max(tf.abs(full.sub(after))).dataSync()[0] < 1e-9,
      'training the head left the base alone',
    );
    assert.throws(() => splitModel(model, 0), /headLayers must be an integer in \[1, 6\]/);
    tf.dispose([x, full, split, after]);
    head.dispose();
    model.dispose();
  });

  test('a cut through a residual branch is refused, naming the layer', () => {
    const resnet = buildZooModel('small-resnet', { inputShape: [8, 8, 1], numClasses: 3, seed: 1 });
    assert.doesNotThrow(() => splitModel(resnet, 3)); // block3_out, gap, head
    assert.throws(() => splitModel(resnet, 4), /block3_add has 2 inputs/);
  });
});
