/**
 * One model instance of a deployment (started by deployment-runtime.ts in a worker thread): its
 * own TF.js backend and a copy of the model, answering one batch at a time with ONE predict call
 * on a [size, ...inputShape] tensor. Loaded and warmed (a batch of 1) before it says `ready`, so
 * the first request does not pay for kernel set-up.
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { type BackendPreference, selectBackend } from '../../ml/backend';
import { loadModelFromDirectory } from '../../ml/io/directory';
import type { FromInstance, InstanceWorkerData, ToInstance } from './instance-protocol';

const data = workerData as InstanceWorkerData;
const port = parentPort;
if (!port) throw new Error('instance-worker runs in a worker thread (deployment-runtime.ts)');

function post(message: FromInstance, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function run(model: tf.LayersModel, input: Float32Array, size: number): Float32Array {
  const shape = model.inputs[0].shape.slice(1) as number[];
  const dtype = model.inputs[0].dtype === 'int32' ? 'int32' : 'float32';
  return tf.tidy(() => {
    const x = tf.tensor(input, [size, ...shape], dtype);
    const y = model.predict(x, { batchSize: size }) as tf.Tensor;
    // A copy of our own: it is transferred to the main thread, and a backend may hand out a view.
    return Float32Array.from(y.dataSync());
  });
}

async function main(): Promise<void> {
  const backend = await selectBackend(data.backend as BackendPreference);
  const model = await loadModelFromDirectory(data.modelDir);
  const cutModel = data.cutoffModelDir
    ? await loadModelFromDirectory(data.cutoffModelDir)
    : undefined;
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  const sampleSize = inputShape.reduce((a, d) => a * d, 1);
  if (cutModel && cutModel.inputs[0].shape.slice(1).join('x') !== inputShape.join('x')) {
    throw new Error(
      `the cut-off model takes [${cutModel.inputs[0].shape.slice(1).join(', ')}], the model [${inputShape.join(', ')}]`,
    );
  }
  const warm = run(model, new Float32Array(sampleSize), 1);
  if (cutModel) run(cutModel, new Float32Array(sampleSize), 1);
  post({ type: 'ready', backend, inputShape, outputSize: warm.length });
  port?.on('message', (m: ToInstance) => {
    if (m.type === 'stop') {
      model.dispose();
      cutModel?.dispose();
      port.close();
      return;
    }
    const t0 = performance.now();
    try {
      const output = run(m.cut && cutModel ? cutModel : model, m.input, m.size);
      post({ type: 'result', seq: m.seq, output, computeMs: performance.now() - t0 }, [
        output.buffer as ArrayBuffer,
      ]);
    } catch (err) {
      post({ type: 'failed', seq: m.seq, message: (err as Error).message });
    }
  });
}

main().catch((err: unknown) => post({ type: 'fatal', message: (err as Error).message }));
