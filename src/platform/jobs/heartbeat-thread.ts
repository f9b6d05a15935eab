import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startModuleThread } from '../runtime/source-thread';
import {
  SLOT,
  SLOT_COUNT,
  type HeartbeatMessage,
  type HeartbeatWorkerData,
} from './heartbeat-protocol';
import type { JobFence } from './job-fence';

/**
 * Heartbeats from a worker thread with its own connection. A handler that computes
 * synchronously for a long time (a TF.js training step on the wasm backend blocks the event
 * loop) would otherwise miss its heartbeats and be re-queued while it is alive. The thread
 * writes what it learns into shared memory, so `cancelRequested` is current even while the main
 * thread never yields. One thread per worker process, started once: a job only switches what it
 * beats for, so short jobs pay nothing for it.
 */
export interface HeartbeatHandle {
  /** Cancellation was requested for the job. */
  readonly cancelRequested: boolean;
  /** The job is no longer this worker's (re-queued, finished elsewhere, deleted). */
  readonly lost: boolean;
  /** Stop beating for this job. */
  stop(): void;
}

/**
 * The thread's entry beside this file: heartbeat-worker.js when built, heartbeat-worker.ts from
 * source (tests, `npm run start:dev`), where the thread registers the TypeScript loader first
 * (a worker thread does not inherit a loader registered at run time, as bin/autodl.js does).
 */
function startWorker(workerData: HeartbeatWorkerData): Worker {
  const entry = path.join(__dirname, `heartbeat-worker${path.extname(__filename)}`);
  return startModuleThread(entry, { workerData });
}

export class HeartbeatThread {
  private readonly slots = new Int32Array(new SharedArrayBuffer(4 * SLOT_COUNT));
  private readonly worker: Worker;
  private generation = 0;

  constructor(databaseUrl: string, intervalMs: number) {
    this.worker = startWorker({
      databaseUrl,
      intervalMs,
      slots: this.slots.buffer as SharedArrayBuffer,
    });
    this.worker.on('error', () => undefined);
    // Never keeps a process alive on its own.
    this.worker.unref();
  }

  /** Start beating for an attempt of a job; the handle's flags belong to it only. */
  track(fence: JobFence): HeartbeatHandle {
    const { jobId, workerId, attempt } = fence;
    const generation = ++this.generation;
    Atomics.store(this.slots, SLOT.cancel, 0);
    Atomics.store(this.slots, SLOT.lost, 0);
    Atomics.store(this.slots, SLOT.generation, generation);
    this.post({ type: 'track', jobId, workerId, attempt, generation });
    const slots = this.slots;
    const mine = () => Atomics.load(slots, SLOT.generation) === generation;
    return {
      get cancelRequested() {
        return mine() && Atomics.load(slots, SLOT.cancel) === 1;
      },
      get lost() {
        return mine() && Atomics.load(slots, SLOT.lost) === 1;
      },
      stop: () => this.post({ type: 'untrack', generation }),
    };
  }

  async close(): Promise<void> {
    this.post({ type: 'close' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await this.worker.terminate();
  }

  private post(message: HeartbeatMessage): void {
    this.worker.postMessage(message);
  }
}
