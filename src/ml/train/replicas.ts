import * as tf from '@tensorflow/tfjs';
import { saveModelToBuffers } from '../io/buffers';
import type { TrainSet } from './gradient-step';
import {
  dataParallelSetup,
  type ReplicaPool,
  resolveShards,
  resolveThreads,
  type TrainingThreads,
} from './parallel';
import type { RowObjective } from './row-objectives';
import type { FeaturePenaltySpec } from './shard-gradients';
import { meterStart } from './thread-meter';

/**
 * `auto` only starts replicas for jobs of at least this many steps: a replica costs about a
 * second to start (a thread, the TS loader from source, the wasm module, the model), which a
 * short job does not win back. Such a job still splits its batches into the same shards (on the
 * main thread), so its result does not depend on this.
 */
export const AUTO_MIN_STEPS = 50;

export interface ShardPlan {
  /** Shards per batch (1: the plain gradient step). */
  shards: number;
  /** Worker replicas computing shards beside the main thread (none: all on the main thread). */
  pool?: ReplicaPool;
}

/**
 * How a training run splits its batches and over how many threads. No sharding (1 shard) when
 * no implementation is installed (configureDataParallel: library use, unit tests) or the run has
 * its own loss or gradient function (a closure over this thread's model that a replica cannot
 * run). Otherwise `shards` (option, else the install's setting) capped by MIN_SHARD-row shards,
 * and threads from the option or the install's setting (`auto`: the free cores).
 */
export async function planShards(o: {
  model: tf.LayersModel;
  train: TrainSet;
  variables: readonly tf.Variable[];
  frozenLayers: readonly string[];
  batchSize: number;
  steps: number;
  threads?: TrainingThreads;
  shards?: number;
  customLoss: boolean;
  /** DELTA's feature penalty: its source network goes to the replicas once, at their start. */
  features?: FeaturePenaltySpec;
  /** The shards' loss when not cross-entropy (mixup, distillation). */
  objective?: RowObjective;
  /** Distillation: rows of the step's public batch (split over the shards like the batch). */
  publicBatch?: number;
}): Promise<ShardPlan> {
  const setup = dataParallelSetup();
  if (setup === undefined || o.customLoss) return { shards: 1 };
  const shards = resolveShards(o.shards ?? setup.shards, o.batchSize);
  if (shards <= 1) return { shards: 1 };
  const setting = o.threads ?? setup.threads;
  if (setting === 'auto' && o.steps < AUTO_MIN_STEPS) return { shards };
  const threads = resolveThreads(setting, setup.host(), shards);
  if (threads <= 1) return { shards };
  const weights = o.model.weights.map((w) => w.read());
  const { modelJson, weights: weightBytes } = await saveModelToBuffers(o.model);
  const f = o.features;
  const features = f
    ? {
        source: await saveModelToBuffers(f.source),
        hookLayers: f.hookLayers,
        attention: f.attention,
        alpha: f.alpha,
        ...(f.separateGradients ? { separate: true } : {}),
      }
    : undefined;
  const pool = await setup.factory({
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
    maxShard: Math.ceil(o.batchSize / shards),
    ...(features ? { features } : {}),
    ...(o.objective ? { objective: o.objective } : {}),
    ...(o.publicBatch !== undefined ? { maxPublic: Math.ceil(o.publicBatch / shards) } : {}),
  });
  meterStart(pool.startCpuNs?.() ?? []);
  return { shards, pool };
}
