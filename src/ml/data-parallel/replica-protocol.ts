import type * as tf from '@tensorflow/tfjs';
import type { MessagePort } from 'node:worker_threads';
import type { RowObjective } from '../train/row-objectives';

/**
 * Shared memory between the main thread and one replica thread (replica-threads.ts,
 * replica-worker.ts), for training shards and bulk prediction alike. The main thread blocks in a
 * synchronous training step or predict call, so the two sides talk through Atomics on shared
 * buffers, not through messages: the main thread bumps COMMAND, the replica runs it and sets DONE
 * to the same number.
 */
export const CTRL = {
  /** Sequence number of the last command given. */
  COMMAND: 0,
  /** Sequence number of the last command answered. */
  DONE: 1,
  /** 0 = the answer is a result, 1 = the replica failed (its message follows on the port). */
  STATUS: 2,
  /** Rows of the shard or chunk (KIND_ABLATE: the first unit). */
  SIZE: 3,
  /** What COMMAND asks: KIND_STEP, KIND_PREDICT, KIND_ABLATE or KIND_STOP. */
  KIND: 4,
  /** 0 while starting, 1 ready, 2 failed to start (its message follows on the port). */
  READY: 5,
  /**
   * Version of the published weights: the replica reloads them only when it differs from the
   * version it holds (a training step publishes every step, a bulk-prediction job once).
   */
  VERSION: 6,
  /**
   * KIND_STEP: rows of the batch the shard belongs to (scales a feature penalty). KIND_PREDICT:
   * 0 = the model's outputs, p + 1 = moments probe p (PredictSpec.probes). KIND_ABLATE: units.
   */
  BATCH: 7,
} as const;
export const CTRL_LENGTH = 8;
/**
 * Float64 words a replica writes about its own thread (its CPU from /proc/thread-self, NaN where
 * unreadable), read by the main thread for the parallel meter (src/ml/train/thread-meter.ts).
 */
export const STATS = {
  /** CPU of the thread from its start until READY (thread, TS loader, runtime, wasm, model), ns. */
  START_CPU_NS: 0,
  /** CPU of the last command answered (weights reloaded included), ns. */
  COMMAND_CPU_NS: 1,
  /** Wall time of the last command, from its wake-up to its answer, ns (> CPU: descheduled). */
  COMMAND_WALL_NS: 2,
} as const;
export const STATS_LENGTH = 3;
/**
 * One training shard (shardGradients): gradients of its loss, moved state, mean cross-entropy,
 * correct count, feature penalty.
 */
export const KIND_STEP = 1;
/** One prediction chunk: model.predict of its rows. */
export const KIND_PREDICT = 2;
export const KIND_STOP = 3;
/**
 * Drop the model and wait, warm, for the next assignment (ReplicaAssignMessage on the parent
 * port): inference replicas kept between jobs. Answered (DONE) once the replica stopped serving.
 */
export const KIND_PARK = 4;
/**
 * Channel ablation (DELTA's channel scoring): the losses of every scoring batch with each unit of
 * [SIZE, SIZE + BATCH) removed (ablationLosses, channel-ablation.ts).
 */
export const KIND_ABLATE = 5;

/** What a replica builds its model from: the saved model, or the topology alone. */
export type ReplicaModel =
  { modelJson: Uint8Array; weights: Uint8Array } | { topology: string; modelJson?: undefined };

/** What a replica needs to answer KIND_STEP. */
export interface StepSpec {
  /** Indices into model.weights of the trained variables, in the optimizer's order. */
  trainable: readonly number[];
  /** Layers the trainer froze (layer.trainable = false on the replica too). */
  frozenLayers: readonly string[];
  yDtype: tf.DataType;
  /** Rows of x the input buffer holds before the labels. */
  maxShard: number;
  /** A feature penalty (DELTA) computed on the shard: its frozen source network, shipped once. */
  features?: {
    source: { modelJson: Uint8Array; weights: Uint8Array };
    hookLayers: readonly string[];
    attention: readonly (readonly number[])[];
    alpha: number;
    /** DTNH: the penalty's gradient apart from the task's, after it in the output. */
    separate?: boolean;
  };
  /** The shard's loss (default cross-entropy) and what its input carries (shard-layout.ts). */
  objective?: RowObjective;
  /** Distillation: the most public rows a shard carries. */
  maxPublic?: number;
}

/** What a replica needs to answer KIND_PREDICT. */
export interface PredictSpec {
  /** Outputs per row (the model's single output is [n, outputLength]). */
  outputLength: number;
  /** Rows per model.predict pass. */
  pass: number;
  /**
   * Layers whose moments probes (moments-probe.ts) the replica builds from its model; a
   * KIND_PREDICT command with BATCH = p + 1 predicts probe p instead of the model.
   */
  probes?: readonly string[];
}

/**
 * What a replica needs to answer KIND_ABLATE. Its input holds the scoring batches' rows (batches
 * in order), then their labels.
 */
export interface AblationSpec {
  hookLayers: readonly string[];
  /** Rows of each scoring batch, in order. */
  batchRows: readonly number[];
  yDtype: tf.DataType;
}

/** Everything a replica thread is started with but its buffers. */
export interface ReplicaSpec {
  model: ReplicaModel;
  /** The main thread's TF.js backend; replicas select the same. */
  backend: string;
  /** One example's shape (x is [n, ...sampleShape]) and dtype. */
  sampleShape: readonly number[];
  xDtype: tf.DataType;
  step?: StepSpec;
  predict?: PredictSpec;
  ablation?: AblationSpec;
}

export interface ReplicaWorkerData {
  spec: ReplicaSpec;
  /** Int32 control words (CTRL). */
  ctrl: SharedArrayBuffer;
  /** Float64 words the replica writes about its thread (STATS). */
  stats: SharedArrayBuffer;
  /** Float32: every model weight in model.weights order, written by the main thread. */
  published: SharedArrayBuffer;
  /** Float32: a step's shard (shard-layout.ts), or a chunk's rows. */
  input: SharedArrayBuffer;
  /**
   * Float32: a step's gradients (then the feature penalty's, with features.separate), state,
   * loss, correct count, feature penalty; or a chunk's outputs.
   */
  output: SharedArrayBuffer;
  /** Where the replica posts its error message (read synchronously by the main thread). */
  errors: MessagePort;
}

/** A parked replica's next model, buffers and error port (posted with the port transferred). */
export interface ReplicaAssignMessage {
  type: 'assign';
  data: ReplicaWorkerData;
}

/** Messages from a replica thread while it starts (besides READY, for asynchronous starters). */
export type ReplicaStartMessage = { type: 'ready' } | { type: 'error'; message: string };
