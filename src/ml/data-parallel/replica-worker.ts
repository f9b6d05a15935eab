/**
 * A training replica's thread (started by replica-pool.ts): loads the TF.js backend and the
 * model, then answers shards forever. Per shard: load the published weights, run the forward
 * pass in training mode, take the gradients of the shard's mean cross-entropy, write them (and
 * the batch-norm moving statistics the pass moved) into shared memory. It waits with
 * Atomics.wait, so a shard starts as soon as the main thread posts it.
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { type BackendPreference, selectBackend } from '../backend';
import { loadModelFromBuffers } from '../io/buffers';
import { assignPublishedWeights } from './published-weights';
import { crossEntropy } from '../train/evaluate';
import {
  CTRL,
  KIND_STOP,
  type ReplicaStartMessage,
  type ReplicaWorkerData,
} from './replica-protocol';

const data = workerData as ReplicaWorkerData;
const port = parentPort;
if (!port) throw new Error('replica-worker runs in a worker thread (replica-pool.ts)');
const ctrl = new Int32Array(data.ctrl);
const published = new Float32Array(data.published);
const input = new Float32Array(data.input);
const output = new Float32Array(data.output);

function answer(seq: number, status: 0 | 1): void {
  Atomics.store(ctrl, CTRL.STATUS, status);
  Atomics.store(ctrl, CTRL.DONE, seq);
  Atomics.notify(ctrl, CTRL.DONE);
}

function serve(model: tf.LayersModel): void {
  const { init } = data;
  const weights = model.weights.map((w) => w.read() as tf.Variable);
  const trained = init.trainable.map((i) => weights[i]);
  const trainedSet = new Set(init.trainable);
  const state = weights.filter((_, i) => !trainedSet.has(i));
  const rowLength = init.sampleShape.reduce((a, d) => a * d, 1);
  const gradLength = trained.reduce((a, v) => a + v.size, 0);
  const stateLength = state.reduce((a, v) => a + v.size, 0);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, CTRL.COMMAND, seen);
    seen = Atomics.load(ctrl, CTRL.COMMAND);
    if (Atomics.load(ctrl, CTRL.KIND) === KIND_STOP) return;
    try {
      const n = Atomics.load(ctrl, CTRL.SIZE);
      tf.tidy(() => {
        assignPublishedWeights(weights, published);
        const x = tf.tensor(input.slice(0, n * rowLength), [n, ...init.sampleShape], init.xDtype);
        const labels = input.slice(init.maxShard * rowLength, init.maxShard * rowLength + n);
        const y = tf.tensor1d(labels, init.yDtype);
        let correct = 0;
        const { value, grads } = tf.variableGrads(() => {
          const out = model.apply(x, { training: true }) as tf.Tensor;
          correct = tf
            .sum(tf.cast(tf.equal(tf.argMax(out, -1), tf.cast(y, 'int32')), 'float32'))
            .dataSync()[0];
          return crossEntropy(out, y);
        }, trained);
        let at = 0;
        for (const v of trained) {
          output.set(grads[v.name].dataSync(), at);
          at += v.size;
        }
        for (const s of state) {
          output.set(s.dataSync(), at);
          at += s.size;
        }
        output[gradLength + stateLength] = value.dataSync()[0];
        output[gradLength + stateLength + 1] = correct;
      });
      answer(seen, 0);
    } catch (err) {
      data.errors.postMessage((err as Error).stack ?? String(err));
      answer(seen, 1);
    }
  }
}

async function main(): Promise<void> {
  await selectBackend(data.init.backend as BackendPreference);
  const model = await loadModelFromBuffers(Buffer.from(data.modelJson), Buffer.from(data.weights));
  const frozen = new Set(data.init.frozenLayers);
  for (const layer of model.layers) layer.trainable = !frozen.has(layer.name);
  const ready: ReplicaStartMessage = { type: 'ready' };
  port?.postMessage(ready);
  serve(model);
  model.dispose();
  data.errors.close();
}

main().catch((err: unknown) => {
  const failed: ReplicaStartMessage = { type: 'error', message: (err as Error).message };
  port.postMessage(failed);
});
