import type { MessagePort } from 'node:worker_threads';
import type { ReplicaPoolInit } from '../train/parallel';

/**
 * Shared memory between the main thread and one training replica (replica-pool.ts,
 * replica-worker.ts). The main thread blocks in a synchronous training step, so the two sides
 * talk through Atomics on shared buffers, not through messages: the main thread bumps COMMAND,
 * the replica runs the shard and sets DONE to the same number.
 */
export const CTRL = {
  /** Sequence number of the last command given. */
  COMMAND: 0,
  /** Sequence number of the last command answered. */
  DONE: 1,
  /** 0 = the answer is a result, 1 = the replica failed (its message follows on the port). */
  STATUS: 2,
  /** Rows in the shard. */
  SIZE: 3,
  /** What COMMAND asks: STEP or STOP. */
  KIND: 4,
} as const;
export const CTRL_LENGTH = 8;
export const KIND_STEP = 1;
export const KIND_STOP = 2;

/** What a replica thread is started with. */
export interface ReplicaWorkerData {
  init: Omit<ReplicaPoolInit, 'modelJson' | 'weights' | 'replicas'>;
  modelJson: Uint8Array;
  weights: Uint8Array;
  /** Int32 control words (CTRL). */
  ctrl: SharedArrayBuffer;
  /** Float32: every model weight in model.weights order, written by the main thread. */
  published: SharedArrayBuffer;
  /** Float32: maxShard rows of x, then maxShard labels. */
  input: SharedArrayBuffer;
  /** Float32: gradients (trainable order), non-trained weights, loss, correct count. */
  output: SharedArrayBuffer;
  /** Where the replica posts its error message (read synchronously by the main thread). */
  errors: MessagePort;
}

/** Messages from a replica thread while it starts. */
export type ReplicaStartMessage = { type: 'ready' } | { type: 'error'; message: string };
