/**
 * DispatchQueue on PostgreSQL: the same `jobs` and `job_events` tables the platform's JobQueue
 * uses (src/platform/jobs/job-queue.ts), with its rules: every transition is one statement
 * guarded by the status it expects (so a worker finishing the row at the same moment wins or
 * loses cleanly, never half-way), and its event is written by the same statement.
 *
 * Attempts: `jobs.attempts` counts attempts started and each Kubernetes Job is one attempt,
 * counted once. The pod's `worker.js run <jobId>` counts it when it claims the row
 * (JobQueue.claimById: queued -> running, attempts + 1). If the pod ends before its worker
 * claimed (image pull failure, eviction, a crash at start-up, deadline), the row is still
 * `queued` and `requeue`/`fail` count the attempt instead; a `running` row is not counted twice.
 * So OOM-killed pods do not retry forever, and `attempts` means the same as with the local
 * executor (whose pool worker counts in JobQueue.claimNext).
 */
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { JOBS_CHANNEL } from '../platform/jobs/job-queue';
import type {
  DispatchedJob,
  DispatchQueue,
  EventLevel,
  JobToDispatch,
} from './dispatch-queue.port';

/** Attempt an event of this row belongs to: a taken queued row waits for attempt attempts + 1. */
const EVENT_ATTEMPT = `CASE WHEN j.status = 'queued' AND j.external_id IS NOT NULL
                           THEN j.attempts + 1 ELSE j.attempts END`;

interface QueuedRow {
  id: string;
  project_id: string;
  kind: string;
  attempts: number;
  resources: unknown;
}

interface ActiveRow extends QueuedRow {
  status: 'queued' | 'running';
  external_id: string;
}

export class PgDispatchQueue implements DispatchQueue {
  constructor(private readonly db: DataSource) {}

  /**
   * LISTEN on the channel JobQueue.insert, retry and releaseLost notify (delivered at commit,
   * so the row is visible when `wake` runs). One dedicated connection, as the local pool's
   * WorkerLoop keeps; if it drops, the executor's dispatch interval still finds the work.
   */
  async onQueued(wake: () => void): Promise<() => Promise<void>> {
    const url = (this.db.options as { url?: string }).url;
    if (!url) return async () => undefined;
    const client = new Client({ connectionString: url, application_name: 'autodl-k8s-dispatch' });
    client.on('error', () => undefined);
    await client.connect();
    client.on('notification', () => wake());
    await client.query(`LISTEN ${JOBS_CHANNEL}`);
    return async () => {
      await client.end().catch(() => undefined);
    };
  }

  async listQueued(limit: number): Promise<JobToDispatch[]> {
    const rows: QueuedRow[] = await this.db.query(
      `SELECT id, project_id, kind, attempts, spec -> 'resources' AS resources FROM jobs
        WHERE status = 'queued' AND external_id IS NULL AND cancel_requested_at IS NULL
        ORDER BY priority DESC, created_at, id
        LIMIT $1`,
      [limit],
    );
    return rows.map((r) => toDispatch(r, r.attempts + 1));
  }

  async claim(job: JobToDispatch, externalId: string): Promise<boolean> {
    const rows: { id: string }[] = await this.db.query(
      // Wrapped in a CTE: TypeORM returns [rows, count] for a bare UPDATE ... RETURNING.
      `WITH taken AS (
         UPDATE jobs SET executor = 'kubernetes', external_id = $2, updated_at = now()
          WHERE id = $1 AND status = 'queued' AND external_id IS NULL
            AND cancel_requested_at IS NULL AND attempts = $3 - 1
         RETURNING id)
       SELECT id FROM taken`,
      [job.id, externalId, job.attempt],
    );
    return rows.length > 0;
  }

  // Pod transitions are `log` events: `status` events are the row's own transitions, which
  // clients (and `autodl jobs`) read as the job's status history.
  async markPending(jobId: string, reason: string): Promise<void> {
    await this.insertEvent(jobId, 'warn', `pod pending: ${reason}`);
  }

  async markRunning(jobId: string, message: string): Promise<void> {
    await this.insertEvent(jobId, 'info', `pod running: ${message}`);
  }

  async requeue(jobId: string, reason: string): Promise<void> {
    // SET expressions see the row before the update: N is the attempt count after this one.
    const n = `(CASE WHEN j.status = 'queued' THEN j.attempts + 1 ELSE j.attempts END)`;
    await this.db.query(
      `WITH moved AS (
         UPDATE jobs j SET
                attempts = ${n},
                status = CASE WHEN j.cancel_requested_at IS NOT NULL THEN 'cancelled'
                              WHEN ${n} >= j.max_attempts THEN 'failed'
                              ELSE 'queued' END,
                error = CASE WHEN j.cancel_requested_at IS NULL AND ${n} >= j.max_attempts
                             THEN $2 || ' (attempt ' || ${n} || ' of ' || j.max_attempts || ')'
                             ELSE j.error END,
                finished_at = CASE WHEN j.cancel_requested_at IS NOT NULL OR ${n} >= j.max_attempts
                                   THEN now() ELSE NULL END,
                external_id = NULL, worker_id = NULL, heartbeat_at = NULL, updated_at = now()
          WHERE j.id = $1 AND j.status IN ('queued', 'running')
         RETURNING j.id, j.status, j.attempts),
       ev AS (
         INSERT INTO job_events (job_id, type, level, message, attempt)
         SELECT id, 'status', CASE WHEN status = 'failed' THEN 'error' ELSE 'warn' END,
                status || ': ' || $2, attempts FROM moved),
       wake AS (SELECT pg_notify('${JOBS_CHANNEL}', 'requeued') FROM moved WHERE status = 'queued')
       SELECT moved.id FROM moved LEFT JOIN wake ON true`,
      [jobId, reason],
    );
  }

  async fail(jobId: string, reason: string): Promise<void> {
    // A taken row still queued had a Job whose worker never started: that attempt counts here.
    await this.db.query(
      `WITH done AS (
         UPDATE jobs j SET status = 'failed', error = $2, finished_at = now(),
                attempts = CASE WHEN j.status = 'queued' AND j.external_id IS NOT NULL
                                THEN j.attempts + 1 ELSE j.attempts END,
                worker_id = NULL, heartbeat_at = NULL, updated_at = now()
          WHERE j.id = $1 AND j.status IN ('queued', 'running')
         RETURNING j.id, j.attempts)
       INSERT INTO job_events (job_id, type, level, message, attempt)
       SELECT id, 'status', 'error', 'failed: ' || $2, attempts FROM done`,
      [jobId, reason],
    );
  }

  async markCancelled(jobId: string, reason: string): Promise<void> {
    // The API cancels a queued row at once; its Job is deleted afterwards, so a row already
    // cancelled keeps its state and only gets a log event. Both parts of `targets` read the
    // statement's snapshot, so they never both match.
    await this.db.query(
      `WITH c AS (
         UPDATE jobs SET status = 'cancelled', finished_at = now(), worker_id = NULL,
                heartbeat_at = NULL, updated_at = now()
          WHERE id = $1 AND status IN ('queued', 'running')
         RETURNING id, attempts),
       targets AS (
         SELECT id, attempts, 'status' AS type FROM c
         UNION ALL
         SELECT id, attempts, 'log' FROM jobs WHERE id = $1 AND status = 'cancelled')
       INSERT INTO job_events (job_id, type, level, message, attempt)
       SELECT id, type, 'warn', 'cancelled: ' || $2, attempts FROM targets`,
      [jobId, reason],
    );
  }

  async cancelRequested(jobIds: readonly string[]): Promise<string[]> {
    if (jobIds.length === 0) return [];
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM jobs WHERE id = ANY($1::uuid[]) AND cancel_requested_at IS NOT NULL`,
      [jobIds],
    );
    return rows.map((r) => r.id);
  }

  async appendEvent(jobId: string, level: EventLevel, message: string): Promise<void> {
    await this.insertEvent(jobId, level, message);
  }

  async activeDispatched(): Promise<DispatchedJob[]> {
    const rows: ActiveRow[] = await this.db.query(
      `SELECT id, project_id, kind, attempts, status, external_id, spec -> 'resources' AS resources
         FROM jobs
        WHERE external_id IS NOT NULL AND status IN ('queued', 'running')
        ORDER BY created_at, id`,
    );
    return rows.map((r) => ({
      ...toDispatch(r, r.status === 'queued' ? r.attempts + 1 : r.attempts),
      externalId: r.external_id,
      status: r.status,
    }));
  }

  /** An event of an existing job (a deleted job's late pod output is dropped, not an error). */
  private async insertEvent(jobId: string, level: string, message: string): Promise<void> {
    await this.db.query(
      `INSERT INTO job_events (job_id, type, level, message, attempt)
       SELECT j.id, 'log', $2, $3, ${EVENT_ATTEMPT} FROM jobs j WHERE j.id = $1`,
      [jobId, level, message],
    );
  }
}

function toDispatch(row: QueuedRow, attempt: number): JobToDispatch {
  const resources = readResources(row.resources);
  return {
    id: row.id,
    projectId: row.project_id,
    kind: row.kind,
    attempt,
    ...(resources ? { resources } : {}),
  };
}

/**
 * `spec.resources` of kinds that accept one ({gpu?, cpu?, memory?}). Values of the wrong type
 * are passed on in a form resolveResources rejects with a message naming the field, so the job
 * fails with that reason instead of being skipped silently.
 */
function readResources(raw: unknown): JobToDispatch['resources'] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const out: NonNullable<JobToDispatch['resources']> = {};
  if (r.gpu !== undefined && r.gpu !== null) out.gpu = typeof r.gpu === 'number' ? r.gpu : NaN;
  if (r.cpu !== undefined && r.cpu !== null) out.cpu = String(r.cpu);
  if (r.memory !== undefined && r.memory !== null) out.memory = String(r.memory);
  return Object.keys(out).length > 0 ? out : undefined;
}
