import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { selectBackend } from '../../ml/backend';
import { saveModelToBuffers } from '../../ml/io/buffers';
import { writeModelBuffers } from '../../ml/io/directory';
import { buildZooModel } from '../../ml/zoo/zoo';
import { QueueFullError, RequestTimeoutError } from '../core/serving-errors';
import { DeploymentRuntime } from './deployment-runtime';

const SHAPE = [8, 8, 1];

function sample(k: number): Float32Array {
  return Float32Array.from({ length: 64 }, (_, i) => ((i * 7 + k * 13) % 17) / 17);
}

describe('DeploymentRuntime (worker threads, a small zoo CNN)', () => {
  let dir: string;
  let model: tf.LayersModel;

  before(async () => {
    await selectBackend('cpu');
    dir = await mkdtemp(path.join(tmpdir(), 'serving-rt-'));
    model = buildZooModel('small-cnn', { inputShape: SHAPE, numClasses: 3, seed: 7 });
    await writeModelBuffers(dir, await saveModelToBuffers(model));
  });
  after(async () => {
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('concurrent requests are grouped into batches and match the model', async () => {
    const rt = await DeploymentRuntime.start({
      modelDir: dir,
      instances: 1,
      batch: { maxSize: 8, maxDelayMs: 50 },
      queue: { capacity: 100, timeoutMs: 30_000 },
      backend: 'cpu',
    });
    try {
      const results = await Promise.all(Array.from({ length: 8 }, (_, k) => rt.predict(sample(k))));
      // 8 requests arrive within the 50 ms window of the first: one batch of 8.
      assert.deepEqual(
        results.map((r) => r.batchSize),
        Array(8).fill(8),
      );
      const expected = tf.tidy(() => {
        const x = tf.tensor(
          results.flatMap((_, k) => [...sample(k)]),
          [8, ...SHAPE],
        );
        return (model.predict(x) as tf.Tensor).arraySync() as number[][];
      });
      results.forEach((r, k) =>
        r.output.forEach((v, j) => assert.ok(Math.abs(v - expected[k][j]) < 1e-5)),
      );
      const m = rt.metrics();
      assert.equal(m.batchSizes[8], 1);
      assert.equal(m.requests.served, 8);
    } finally {
      await rt.stop();
    }
  });

  test('a full queue sheds with QueueFullError and a timeout drops before inference', async () => {
    const rt = await DeploymentRuntime.start({
      modelDir: dir,
      instances: 1,
      batch: { maxSize: 1, maxDelayMs: 0 },
      queue: { capacity: 2, timeoutMs: 30_000 },
      backend: 'cpu',
    });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, k) => rt.predict(sample(k))),
      );
      const shed = outcomes.filter(
        (o) => o.status === 'rejected' && o.reason instanceof QueueFullError,
      );
      // One in service, two waiting: the other seven are shed at arrival.
      assert.equal(shed.length, 7);
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 3);
      assert.ok((shed[0] as PromiseRejectedResult).reason.retryAfterS >= 1);
      await assert.rejects(rt.predict(sample(0), { deadlineMs: 0 }), RequestTimeoutError);
      assert.equal(rt.metrics().drops.queue_full, 7);
    } finally {
      await rt.stop();
    }
  });

  test('scaling up and down under load drops nothing; new instances take batches', async () => {
    const rt = await DeploymentRuntime.start({
      modelDir: dir,
      instances: 1,
      batch: { maxSize: 2, maxDelayMs: 1 },
      queue: { capacity: 1000, timeoutMs: 60_000 },
      backend: 'cpu',
    });
    try {
      const first = Array.from({ length: 60 }, (_, k) => rt.predict(sample(k)));
      await rt.reconfigure({ instances: 3 });
      assert.equal(rt.metrics().instances, 3);
      const second = Array.from({ length: 60 }, (_, k) => rt.predict(sample(k)));
      const down = rt.reconfigure({ instances: 1, batch: { maxSize: 4 } });
      const results = await Promise.all([...first, ...second]);
      await down;
      assert.equal(results.length, 120);
      assert.ok(new Set(results.map((r) => r.instance)).size >= 2, 'the new instances served');
      const m = rt.metrics();
      assert.equal(m.requests.dropped, 0);
      assert.equal(m.requests.served, 120);
      assert.equal(m.instances, 1);
      assert.equal(m.config.batch.maxSize, 4);
      // Still serving after the scale-down.
      assert.equal((await rt.predict(sample(1))).output.length, 3);
    } finally {
      await rt.stop();
    }
  });

  test('a deadline that passes while every instance is busy drops the request before inference', async () => {
    const rt = await DeploymentRuntime.start({
      modelDir: dir,
      instances: 1,
      batch: { maxSize: 1, maxDelayMs: 0 },
      queue: { capacity: 100, timeoutMs: 60_000 },
      backend: 'cpu',
    });
    try {
      // Keep the one instance busy for a while, then queue a request with a 1 ms deadline.
      const busy = Array.from({ length: 30 }, (_, k) => rt.predict(sample(k)));
      const late = rt.predict(sample(99), { deadlineMs: 1 });
      await assert.rejects(
        late,
        (e: unknown) => e instanceof RequestTimeoutError && e.reason === 'deadline',
      );
      await Promise.all(busy);
      const m = rt.metrics();
      assert.equal(m.drops.deadline, 1);
      assert.equal(m.requests.served, 30);
      // Not served: every batch was of size 1 and 30 of them ran.
      assert.equal(m.batchSizes[1], 30);
      assert.throws(() => rt.predict([1, 2, 3]), /input: .*\[8, 8, 1\].*3 values/);
    } finally {
      await rt.stop();
    }
  });
});
