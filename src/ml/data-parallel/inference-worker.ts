/**
 * An inference replica's thread (started by inference-pool.ts): loads the TF.js backend and
 * builds the model from its topology, says READY through shared memory, then predicts chunks forever: load the published
 * weights, model.predict in passes of `pass` rows, write the outputs into shared memory.
 */
import * as tf from '@tensorflow/tfjs';
import { workerData } from 'node:worker_threads';
import { type BackendPreference, selectBackend } from '../backend';
import { ICTRL, IKIND_STOP, type InferenceWorkerData } from './inference-protocol';
import { assignPublishedWeights } from './published-weights';

const data = workerData as InferenceWorkerData;
const ctrl = new Int32Array(data.ctrl);
const published = new Float32Array(data.published);
const input = new Float32Array(data.input);
const output = new Float32Array(data.output);

function answer(seq: number, status: 0 | 1): void {
  Atomics.store(ctrl, ICTRL.STATUS, status);
  Atomics.store(ctrl, ICTRL.DONE, seq);
  Atomics.notify(ctrl, ICTRL.DONE);
}

function serve(model: tf.LayersModel): void {
  const { init } = data;
  const weights = model.weights.map((w) => w.read() as tf.Variable);
  const rowLength = init.sampleShape.reduce((a, d) => a * d, 1);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, ICTRL.COMMAND, seen);
    seen = Atomics.load(ctrl, ICTRL.COMMAND);
    if (Atomics.load(ctrl, ICTRL.KIND) === IKIND_STOP) return;
    try {
      const n = Atomics.load(ctrl, ICTRL.ROWS);
      tf.tidy(() => {
        assignPublishedWeights(weights, published);
        const x = tf.tensor(input.slice(0, n * rowLength), [n, ...init.sampleShape], init.xDtype);
        const y = model.predict(x, { batchSize: Math.min(n, init.pass) }) as tf.Tensor;
        output.set(y.dataSync(), 0);
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
  // The topology only: the weights come with every chunk (the caller may be training the model).
  const model = await tf.models.modelFromJSON({
    modelTopology: JSON.parse(data.init.topology) as tf.io.ModelJSON['modelTopology'],
  });
  Atomics.store(ctrl, ICTRL.READY, 1);
  Atomics.notify(ctrl, ICTRL.READY);
  serve(model);
  model.dispose();
  data.errors.close();
}

main().catch((err: unknown) => {
  data.errors.postMessage((err as Error).stack ?? String(err));
  Atomics.store(ctrl, ICTRL.READY, 2);
  Atomics.notify(ctrl, ICTRL.READY);
});
