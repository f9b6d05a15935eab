/**
 * The heartbeat thread's code (started by HeartbeatThread, heartbeat-thread.ts): beats for the
 * tracked attempt every interval on its own connection, with the repository's HEARTBEAT
 * statement, and writes what it learns (cancellation requested, job lost) into shared memory,
 * so the main thread reads it even while a synchronous training step never yields.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client } from 'pg';
import { SLOT, type HeartbeatMessage, type HeartbeatWorkerData } from './heartbeat-protocol';
import { HEARTBEAT, type HeartbeatRow } from './job-statements';

type Tracked = Extract<HeartbeatMessage, { type: 'track' }>;

const data = workerData as HeartbeatWorkerData;
const port = parentPort;
if (!port) throw new Error('heartbeat-worker runs in a worker thread (HeartbeatThread)');
const slots = new Int32Array(data.slots);

// A connection lost (the database restarted) is replaced at the next beat.
let client: Client | null = null;
let connecting: Promise<Client | null> | null = null;

function connection(): Promise<Client | null> {
  if (client) return Promise.resolve(client);
  if (!connecting) {
    const c = new Client({
      connectionString: data.databaseUrl,
      application_name: 'autodl-heartbeat',
    });
    c.on('error', () => {
      if (client === c) client = null;
    });
    connecting = c
      .connect()
      .then(
        () => {
          client = c;
          return c;
        },
        () => {
          c.end().catch(() => undefined);
          return null;
        },
      )
      .finally(() => {
        connecting = null;
      });
  }
  return connecting;
}

let job: Tracked | null = null;
let busy = false;

async function beat(): Promise<void> {
  const current = job;
  if (busy || current === null) return;
  busy = true;
  let c: Client | null = null;
  try {
    c = await connection();
    if (c === null) return;
    const res = await c.query<HeartbeatRow>(HEARTBEAT, [
      current.jobId,
      current.workerId,
      current.attempt,
    ]);
    if (Atomics.load(slots, SLOT.generation) !== current.generation) return;
    if (res.rows.length === 0) Atomics.store(slots, SLOT.lost, 1);
    else if (res.rows[0].cancel_requested_at !== null) Atomics.store(slots, SLOT.cancel, 1);
  } catch {
    // A missed beat; the next one retries, on a new connection if this one is broken.
    if (c !== null && client === c) {
      client = null;
      c.end().catch(() => undefined);
    }
  } finally {
    busy = false;
  }
}

setInterval(() => void beat(), data.intervalMs);

port.on('message', (m: HeartbeatMessage) => {
  if (m.type === 'track') {
    // The claim itself set heartbeat_at, so the first beat can wait for the interval.
    job = m;
  } else if (m.type === 'untrack' && job && job.generation === m.generation) {
    job = null;
  } else if (m.type === 'close') {
    job = null;
    Promise.resolve(client?.end())
      .catch(() => undefined)
      .finally(() => port.close());
  }
});
