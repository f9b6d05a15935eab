import { Worker } from 'node:worker_threads';

/**
 * Heartbeats from a worker thread with its own connection. A handler that computes
 * synchronously for a long time (a TF.js training step on the wasm backend blocks the event
 * loop) would otherwise miss its heartbeats and be re-queued while it is alive. The thread
 * writes the flags it learns into shared memory, so `cancelled` is current even while the main
 * thread never yields.
 */
export interface HeartbeatHandle {
  /** Cancellation was requested for the job. */
  readonly cancelRequested: boolean;
  /** The job is no longer this worker's (re-queued, finished elsewhere, deleted). */
  readonly lost: boolean;
  /** Called on the main thread (when it is free) once either flag turns on. */
  onChange(listener: () => void): void;
  stop(): Promise<void>;
}

const CANCEL = 0;
const LOST = 1;

// Plain CommonJS, evaluated in the thread: no TypeScript loader needed there.
const THREAD_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { Client } = require(workerData.pgPath);
const flags = new Int32Array(workerData.flags);
const client = new Client({ connectionString: workerData.databaseUrl, application_name: 'autodl-heartbeat' });
client.on('error', () => undefined);
let busy = false;
let stopped = false;
async function beat() {
  if (busy || stopped) return;
  busy = true;
  try {
    const res = await client.query(
      "WITH beat AS (UPDATE jobs SET heartbeat_at = now() WHERE id = $1 AND worker_id = $2 AND status = 'running' RETURNING cancel_requested_at) SELECT * FROM beat",
      [workerData.jobId, workerData.workerId],
    );
    const lost = res.rows.length === 0;
    const cancel = !lost && res.rows[0].cancel_requested_at !== null;
    if ((lost && Atomics.exchange(flags, ${LOST}, 1) === 0) || (cancel && Atomics.exchange(flags, ${CANCEL}, 1) === 0)) {
      parentPort.postMessage('changed');
    }
  } catch {
    // a missed beat; the next one retries
  } finally {
    busy = false;
  }
}
const timer = setInterval(beat, workerData.intervalMs);
parentPort.on('message', async (m) => {
  if (m !== 'stop') return;
  stopped = true;
  clearInterval(timer);
  await client.end().catch(() => undefined);
  parentPort.postMessage('stopped');
});
client.connect().then(beat, () => undefined);
`;

export function startHeartbeatThread(options: {
  databaseUrl: string;
  jobId: string;
  workerId: string;
  intervalMs: number;
}): HeartbeatHandle {
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const listeners: (() => void)[] = [];
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: { ...options, flags: flags.buffer, pgPath: require.resolve('pg') },
  });
  worker.on('message', (m) => {
    if (m === 'changed') for (const l of listeners) l();
  });
  worker.on('error', () => undefined);
  return {
    get cancelRequested() {
      return Atomics.load(flags, CANCEL) === 1;
    },
    get lost() {
      return Atomics.load(flags, LOST) === 1;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timeout);
          worker.off('message', onMessage);
          void worker.terminate().then(() => resolve());
        };
        const onMessage = (m: unknown) => m === 'stopped' && finish();
        const timeout = setTimeout(finish, 2000);
        worker.on('message', onMessage);
        worker.postMessage('stop');
      }),
  };
}
