import * as tf from '@tensorflow/tfjs';
import { saveModelToBuffers } from '../io/buffers';
import type { TrainSet } from './gradient-step';
import {
  dataParallelSetup,
  type ReplicaPool,
  resolveThreads,
  type TrainingThreads,
} from './parallel';

/**
 * `auto` only starts replicas for jobs of at least this many steps: a replica costs about a
 * second to start (a thread, the TS loader from source, the wasm module, the model), which a
 * short job does not win back.
 */
export const AUTO_MIN_STEPS = 50;

/**
 * The replica pool for a training run, or undefined for single-thread training: when no
 * implementation is installed (configureDataParallel), the run has its own loss or gradient
 * function (a closure over this thread's model a replica cannot run), or the threads resolve to 1.
 */
export async function startReplicaPool(o: {
  model: tf.LayersModel;
  train: TrainSet;
  variables: readonly tf.Variable[];
  frozenLayers: readonly string[];
  batchSize: number;
  steps: number;
  threads?: TrainingThreads;
  customLoss: boolean;
}): Promise<ReplicaPool | undefined> {
  const setup = dataParallelSetup();
  if (setup === undefined || o.customLoss) return undefined;
  const setting = o.threads ?? setup.threads;
  if (setting === 'auto' && o.steps < AUTO_MIN_STEPS) return undefined;
  const threads = resolveThreads(setting, setup.host(), o.batchSize);
  if (threads <= 1) return undefined;
  const weights = o.model.weights.map((w) => w.read());
  const { modelJson, weights: weightBytes } = await saveModelToBuffers(o.model);
  return setup.factory({
    replicas: threads - 1,
    modelJson,
    weights: weightBytes,
    sizes: weights.map((w) => w.size),
    trainable: o.variables.map((v) => weights.indexOf(v)),
    frozenLayers: o.frozenLayers,
    backend: tf.getBackend(),
    sampleShape: o.train.x.shape.slice(1),
    xDtype: o.train.x.dtype,
    yDtype: o.train.y.dtype,
    maxShard: Math.ceil(o.batchSize / threads),
  });
}
