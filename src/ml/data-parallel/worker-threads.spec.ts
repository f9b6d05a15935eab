import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../platform/config/app-config';
import { Rng } from '../../platform/core/rng';
import { selectBackend } from '../backend';
import { configureDataParallel } from '../train/parallel';
import { AUTO_MIN_STEPS } from '../train/replicas';
import { trainModel } from '../train/trainer';
import { installWorkerThreads } from './worker-threads';

function net(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [4, 4, 1] }),
      tf.layers.dense({
        units: 8,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.dense({
        units: 3,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
}

describe('a job worker with the default configuration (no thread setting)', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  after(() => configureDataParallel(undefined));

  test('a lone job trains on every core; beside busy jobs on the free ones, with the same weights', async () => {
    const config = loadConfig({});
    assert.equal(config.trainThreads, 'auto');
    const supervisor = new EventEmitter();
    installWorkerThreads(config.trainThreads, supervisor);
    const rng = new Rng(4);
    const rows = 32 * AUTO_MIN_STEPS;
    const data = {
      x: tf.tensor4d(
        Array.from({ length: rows * 16 }, () => rng.normal(0, 1)),
        [rows, 4, 4, 1],
      ),
      y: tf.tensor1d(
        Array.from({ length: rows }, (_, i) => i % 3),
        'int32',
      ),
    };
    const cores = os.availableParallelism();
    // Batch 32 (the jobs' default): 2 shards of 16 rows on a machine of 2 or more cores.
    const shards = Math.min(cores, 2);
    const run = async () => {
      const model = net();
      const res = await trainModel(model, data, {
        epochs: 1,
        batchSize: 32,
        learningRate: 0.01,
        seed: 1,
      });
      const weights = model.weights.map((w) => Buffer.from(w.read().dataSync().buffer));
      model.dispose();
      return { res, weights };
    };
    const lone = await run();
    assert.equal(lone.res.shards, shards);
    assert.equal(lone.res.threads, shards, 'a lone job on this machine uses every core it can');
    // The supervisor says every other core runs a job: one thread, same shards, same weights.
    supervisor.emit('message', { type: 'pool-load', busyElsewhere: cores - 1 });
    const crowded = await run();
    assert.equal(crowded.res.threads, 1);
    assert.equal(crowded.res.shards, shards);
    lone.weights.forEach((w, i) => assert.ok(w.equals(crowded.weights[i]), `weight ${i}`));
    tf.dispose([data.x, data.y]);
  });
});
