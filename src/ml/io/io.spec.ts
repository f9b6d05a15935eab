import * as tf from '@tensorflow/tfjs';
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectBackend } from '../backend';
import { expectTensorsClose, withLeakCheck } from '../../../test/support/tensors';
import { buildZooModel } from '../zoo/zoo';
import { UnprocessableError } from '../../platform/errors/domain-error';
import { loadModelFromBuffers, saveModelToBuffers } from './buffers';
import { loadModelFromDirectory, writeModelBuffers } from './directory';

// Reference: the model's own predictions before saving; a lossless float32 round trip must
// reproduce them bit for bit (tolerance 0).

describe('model I/O (model.json + weights.bin)', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  test('save to buffers and load back gives identical predictions (small-resnet, with batch norm)', async () => {
    await withLeakCheck(async () => {
      const model = buildZooModel('small-resnet', {
        inputShape: [10, 10, 2],
        numClasses: 4,
        width: 4,
        seed: 5,
      });
      const x = tf.randomNormal([3, 10, 10, 2], 0, 1, 'float32', 2);
      const before = model.predict(x) as tf.Tensor;
      const buffers = await saveModelToBuffers(model);
      const manifest = JSON.parse(buffers.modelJson.toString('utf8')) as {
        weightsManifest: Array<{ paths: string[] }>;
      };
      assert.deepEqual(manifest.weightsManifest[0].paths, ['weights.bin']);
      assert.equal(
        buffers.weights.byteLength,
        model.getWeights().reduce((s, w) => s + w.size * 4, 0),
      );
      const loaded = await loadModelFromBuffers(buffers.modelJson, buffers.weights);
      const after = loaded.predict(x) as tf.Tensor;
      expectTensorsClose(after, before, 0);
      tf.dispose([x, before, after]);
      model.dispose();
      loaded.dispose();
    });
  });

  test('a directory with sharded weights (as tfjs-converter writes them) loads', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autodl-ml-io-'));
    try {
      const model = buildZooModel('mlp', { inputShape: [5], numClasses: 3, seed: 1 });
      const { modelJson, weights } = await saveModelToBuffers(model);
      // Split the weights into two shards to exercise the manifest order.
      const json = JSON.parse(modelJson.toString('utf8')) as {
        weightsManifest: Array<{ paths: string[] }>;
      };
      json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
      const cut = 100;
      await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
      await fs.writeFile(path.join(dir, 'group1-shard1of2.bin'), weights.subarray(0, cut));
      await fs.writeFile(path.join(dir, 'group1-shard2of2.bin'), weights.subarray(cut));
      const loaded = await loadModelFromDirectory(dir);
      const x = tf.randomNormal([4, 5], 0, 1, 'float32', 3);
      tf.tidy(() =>
        expectTensorsClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 0),
      );
      x.dispose();
      loaded.dispose();

      const other = path.join(dir, 'copy');
      await writeModelBuffers(other, { modelJson, weights });
      const again = await loadModelFromDirectory(other);
      assert.equal(again.countParams(), model.countParams());
      again.dispose();
      model.dispose();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('bad inputs are UnprocessableError naming the file: missing shard, wrong size, traversal, not JSON', async () => {
    const model = buildZooModel('mlp', { inputShape: [3], numClasses: 2, hidden: [4], seed: 1 });
    const { modelJson, weights } = await saveModelToBuffers(model);
    model.dispose();
    const is422 = (field: string) => (e: unknown) =>
      e instanceof UnprocessableError && e.problems.some((p) => p.field === field);
    await assert.rejects(loadModelFromBuffers(modelJson, {}), is422('weights.bin'));
    await assert.rejects(loadModelFromBuffers(modelJson, weights.subarray(4)), is422('weights'));
    await assert.rejects(loadModelFromBuffers('{not json', weights), is422('model.json'));

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autodl-ml-io-'));
    try {
      const json = JSON.parse(modelJson.toString('utf8')) as {
        weightsManifest: Array<{ paths: string[] }>;
      };
      json.weightsManifest[0].paths = ['../../etc/passwd'];
      await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
      await assert.rejects(loadModelFromDirectory(dir), is422('../../etc/passwd'));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
