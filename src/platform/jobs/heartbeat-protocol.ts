/**
 * What the heartbeat thread (heartbeat-worker.ts) and its owner (heartbeat-thread.ts) share:
 * the thread's start data, its messages, and the slots of the shared Int32 memory it writes.
 */
export interface HeartbeatWorkerData {
  databaseUrl: string;
  intervalMs: number;
  /** SharedArrayBuffer of SLOT_COUNT Int32 slots. */
  slots: SharedArrayBuffer;
}

/** The tracked job's generation, and its flags for that generation. */
export const SLOT = { generation: 0, cancel: 1, lost: 2 } as const;
export const SLOT_COUNT = 3;

export type HeartbeatMessage =
  | { type: 'track'; jobId: string; workerId: string; attempt: number; generation: number }
  | { type: 'untrack'; generation: number }
  | { type: 'close' };
