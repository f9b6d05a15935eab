import { Worker } from 'node:worker_threads';
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

// Shared Int32 slots: the generation of the tracked job, and its flags for that generation.
const GENERATION = 0;
const CANCEL = 1;
const LOST = 2;

// Plain CommonJS, evaluated in the thread: no TypeScript loader needed there.
const THREAD_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { Client } = require(workerData.pgPath);
const slots = new Int32Array(workerData.slots);
// A connection lost (the database restarted) is replaced at the next beat.
let client = null;
let connecting = null;
function connection() {
  if (client) return Promise.resolve(client);
  if (!connecting) {
    const c = new Client({ connectionString: workerData.databaseUrl, application_name: 'autodl-heartbeat' });
    c.on('error', () => { if (client === c) client = null; });
    connecting = c.connect().then(
      () => { client = c; return c; },
      () => { c.end().catch(() => undefined); return null; },
    ).finally(() => { connecting = null; });
  }
  return connecting;
}
let job = null;
let busy = false;
async function beat() {
  const current = job;
  if (busy || current === null) return;
  busy = true;
  let c = null;
  try {
    c = await connection();
    if (c === null) return;
    const res = await c.query(
      "WITH beat AS (UPDATE jobs SET heartbeat_at = now() WHERE id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running' RETURNING cancel_requested_at) SELECT * FROM beat",
      [current.jobId, current.workerId, current.attempt],
    );
    if (Atomics.load(slots, ${GENERATION}) !== current.generation) return;
    if (res.rows.length === 0) Atomics.store(slots, ${LOST}, 1);
    else if (res.rows[0].cancel_requested_at !== null) Atomics.store(slots, ${CANCEL}, 1);
  } catch {
    // a missed beat; the next one retries, on a new connection if this one is broken
    if (c !== null && client === c) {
      client = null;
      c.end().catch(() => undefined);
    }
  } finally {
    busy = false;
  }
}
setInterval(beat, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m.type === 'track') {
    // The claim itself set heartbeat_at, so the first beat can wait for the interval.
    job = m;
  } else if (m.type === 'untrack' && job && job.generation === m.generation) {
    job = null;
  } else if (m.type === 'close') {
    job = null;
    Promise.resolve(client && client.end()).catch(() => undefined).finally(() => parentPort.close());
  }
});
`;

export class HeartbeatThread {
  private readonly slots = new Int32Array(new SharedArrayBuffer(12));
  private readonly worker: Worker;
  private generation = 0;

  constructor(databaseUrl: string, intervalMs: number) {
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: {
        databaseUrl,
        intervalMs,
        slots: this.slots.buffer,
        pgPath: require.resolve('pg'),
      },
    });
    this.worker.on('error', () => undefined);
    // Never keeps a process alive on its own.
    this.worker.unref();
  }

  /** Start beating for an attempt of a job; the handle's flags belong to it only. */
  track(fence: JobFence): HeartbeatHandle {
    const { jobId, workerId, attempt } = fence;
    const generation = ++this.generation;
    Atomics.store(this.slots, CANCEL, 0);
    Atomics.store(this.slots, LOST, 0);
    Atomics.store(this.slots, GENERATION, generation);
    this.worker.postMessage({ type: 'track', jobId, workerId, attempt, generation });
    const slots = this.slots;
    const mine = () => Atomics.load(slots, GENERATION) === generation;
    return {
      get cancelRequested() {
        return mine() && Atomics.load(slots, CANCEL) === 1;
      },
      get lost() {
        return mine() && Atomics.load(slots, LOST) === 1;
      },
      stop: () => this.worker.postMessage({ type: 'untrack', generation }),
    };
  }

  async close(): Promise<void> {
    this.worker.postMessage({ type: 'close' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await this.worker.terminate();
  }
}
