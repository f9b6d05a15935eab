import type { MessagePort } from 'node:worker_threads';
import type { InferencePoolInit } from '../train/parallel';

/**
 * Shared memory between the main thread and one inference replica (inference-pool.ts,
 * inference-worker.ts). The caller (predictBatches) is synchronous, so even the start is
 * answered through Atomics: the replica sets READY once it holds the model.
 */
export const ICTRL = {
  COMMAND: 0,
  DONE: 1,
  /** 0 = answer is a result, 1 = the replica failed (its message follows on the port). */
  STATUS: 2,
  /** Rows of the chunk. */
  ROWS: 3,
  /** STEP (predict) or STOP. */
  KIND: 4,
  /** 0 while starting, 1 ready, 2 failed to start. */
  READY: 5,
} as const;
export const ICTRL_LENGTH = 8;
export const IKIND_PREDICT = 1;
export const IKIND_STOP = 2;

export interface InferenceWorkerData {
  init: Omit<InferencePoolInit, 'replicas'>;
  ctrl: SharedArrayBuffer;
  /** Float32: every model weight in model.weights order. */
  published: SharedArrayBuffer;
  /** Float32: maxRows rows of x. */
  input: SharedArrayBuffer;
  /** Float32: maxRows x outputLength outputs. */
  output: SharedArrayBuffer;
  errors: MessagePort;
}
