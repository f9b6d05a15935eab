import * as os from 'node:os';
import * as crypto from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { JobFence, OWNER_CTE, StaleAttemptError, fenceParams } from './job-fence';
import { JobEntity, JobStatus } from './job.entity';

export const JOBS_CHANNEL = 'autodl_jobs';

export interface NewJob {
  projectId: string;
  kind: string;
  spec: unknown;
  priority?: number;
  maxAttempts: number;
  parentId?: string | null;
  idempotencyKey?: string | null;
  requestHash?: string | null;
}

/** The fence of the attempt a claim returned. */
export function fenceOf(job: JobRow, workerId: string): JobFence {
  return { jobId: job.id, workerId, attempt: job.attempts };
}

/** Raw row of `jobs` as returned by RETURNING *. */
export interface JobRow {
  id: string;
  project_id: string;
  kind: string;
  spec: unknown;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  checkpoint: unknown;
  cancel_requested_at: Date | null;
  worker_id: string | null;
}

export function newWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
}

/** The pid inside a worker id made by newWorkerId() on this host, or null. */
export function workerPid(workerId: string | null): number | null {
  if (!workerId) return null;
  const [host, pid] = workerId.split(':');
  return host === os.hostname() && /^\d+$/.test(pid) ? Number(pid) : null;
}

/**
 * The durable queue: the `jobs` table itself, claimed with FOR UPDATE SKIP LOCKED. Chosen over
 * pg-boss because the job row and its queue entry are then one row: enqueueing is one INSERT
 * (nothing to keep in step across a crash), the status the API shows is the queue state, and it
 * runs on Node 20 (pg-boss 12 needs Node 22). Every write of a worker is a single SQL statement
 * fenced by its attempt (job-fence.ts): a worker that lost its job (re-queued after a missed
 * heartbeat) gets a StaleAttemptError instead of overwriting the new owner's state.
 */
export class JobQueue {
  constructor(private readonly db: DataSource) {}

  /**
   * Queues a job in one statement: the row, its `queued` event and the wake-up notification
   * (delivered at commit, so a worker never wakes for a row it cannot see yet).
   */
  async insert(job: NewJob, manager: EntityManager = this.db.manager): Promise<JobEntity> {
    const rows: Record<string, unknown>[] = await manager.query(
      `WITH j AS (
         INSERT INTO jobs (project_id, kind, spec, priority, max_attempts, parent_id, idempotency_key, request_hash)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8) RETURNING *),
       e AS (
         INSERT INTO job_events (job_id, type, message, attempt) SELECT id, 'status', 'queued', 0 FROM j),
       n AS (SELECT pg_notify('${JOBS_CHANNEL}', kind) FROM j)
       SELECT j.* FROM j CROSS JOIN n`,
      [
        job.projectId,
        job.kind,
        JSON.stringify(job.spec ?? {}),
        job.priority ?? 0,
        job.maxAttempts,
        job.parentId ?? null,
        job.idempotencyKey ?? null,
        job.requestHash ?? null,
      ],
    );
    return this.db.getRepository(JobEntity).create(fromRow(rows[0]));
  }

  /** Claim the next queued job (highest priority, oldest first) for a local worker. */
  async claimNext(workerId: string, kinds?: readonly string[]): Promise<JobRow | null> {
    const rows: JobRow[] = await this.db.query(
      `WITH next AS (
         SELECT id FROM jobs
          WHERE status = 'queued' AND external_id IS NULL
            AND ($2::text[] IS NULL OR kind = ANY($2::text[]))
          ORDER BY priority DESC, created_at, id
          LIMIT 1 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, worker_id = $1,
                executor = COALESCE(j.executor, 'local'), heartbeat_at = now(),
                started_at = COALESCE(j.started_at, now()), updated_at = now()
           FROM next WHERE j.id = next.id
         RETURNING j.*),
       ev AS (
         INSERT INTO job_events (job_id, type, message, attempt)
         SELECT id, 'status', 'running on ' || $1, attempts FROM claimed)
       SELECT * FROM claimed`,
      [workerId, kinds && kinds.length > 0 ? kinds : null],
    );
    return rows[0] ?? null;
  }

  /** Claim one job by id (a Kubernetes pod running `worker run <jobId>`). */
  async claimById(jobId: string, workerId: string, executor: string): Promise<JobRow | null> {
    const rows: JobRow[] = await this.db.query(
      `WITH claimed AS (
         UPDATE jobs SET status = 'running', attempts = attempts + 1, worker_id = $2,
                executor = $3, heartbeat_at = now(), started_at = COALESCE(started_at, now()),
                updated_at = now()
          WHERE id = $1 AND status = 'queued'
         RETURNING *),
       ev AS (
         INSERT INTO job_events (job_id, type, message, attempt)
         SELECT id, 'status', 'running on ' || $2, attempts FROM claimed)
       SELECT * FROM claimed`,
      [jobId, workerId, executor],
    );
    return rows[0] ?? null;
  }

  /** Returns null when this attempt no longer owns the job (re-queued, cancelled, deleted). */
  async heartbeat(fence: JobFence): Promise<{ cancelRequested: boolean } | null> {
    const rows: { cancel_requested_at: Date | null }[] = await this.db.query(
      // Wrapped in a CTE: TypeORM returns [rows, count] for a bare UPDATE ... RETURNING.
      `WITH beat AS (
         UPDATE jobs SET heartbeat_at = now()
          WHERE id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running'
         RETURNING cancel_requested_at)
       SELECT * FROM beat`,
      fenceParams(fence),
    );
    return rows.length === 0 ? null : { cancelRequested: rows[0].cancel_requested_at !== null };
  }

  async progress(fence: JobFence, fraction: number, message: string | null): Promise<void> {
    await this.fencedUpdate(
      fence,
      'progress',
      `progress = $4, progress_message = COALESCE($5, progress_message), updated_at = now()`,
      [fraction, message],
    );
  }

  async checkpoint(fence: JobFence, state: unknown): Promise<void> {
    await this.fencedUpdate(fence, 'checkpoint', `checkpoint = $4::jsonb`, [
      JSON.stringify(state ?? null),
    ]);
  }

  async event(
    fence: JobFence,
    type: 'log' | 'status',
    level: string,
    message: string,
  ): Promise<void> {
    await this.fencedInsert(
      fence,
      'log',
      `INSERT INTO job_events (job_id, type, level, message, attempt)
       SELECT id, $4, $5, $6, attempts FROM owner RETURNING 1`,
      [type, level, message],
    );
  }

  /** Idempotent per (name, step) within the owning attempt (a resumed job may repeat a step). */
  async metric(fence: JobFence, name: string, step: number, value: number): Promise<void> {
    await this.fencedInsert(
      fence,
      'metric',
      `INSERT INTO metrics (job_id, name, step, value) SELECT id, $4, $5, $6 FROM owner
       ON CONFLICT (job_id, name, step) DO UPDATE SET value = EXCLUDED.value, time = now()
       RETURNING 1`,
      [name, step, value],
    );
  }

  /** Final transition of a running job by the attempt that owns it; false if it no longer does. */
  async finish(
    fence: JobFence,
    status: 'succeeded' | 'failed' | 'cancelled',
    outcome: { result?: unknown; error?: string },
  ): Promise<boolean> {
    const rows = await this.db.query(
      `WITH done AS (
         UPDATE jobs SET status = $4, result = $5::jsonb, error = $6, finished_at = now(),
                progress = CASE WHEN $4 = 'succeeded' THEN 1 ELSE progress END, updated_at = now()
          WHERE id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running'
         RETURNING id, attempts),
       ev AS (
         INSERT INTO job_events (job_id, type, level, message, attempt)
         SELECT id, 'status', CASE WHEN $4 = 'failed' THEN 'error' ELSE 'info' END,
                $4 || COALESCE(': ' || $6, ''), attempts FROM done)
       SELECT id FROM done`,
      [
        ...fenceParams(fence),
        status,
        outcome.result === undefined ? null : JSON.stringify(outcome.result),
        outcome.error ?? null,
      ],
    );
    return rows.length > 0;
  }

  /**
   * Gives a running job back to the queue without using up an attempt (the worker shuts down);
   * only while this attempt owns it, so a stale worker never releases someone else's run.
   */
  async release(fence: JobFence): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `WITH r AS (
         UPDATE jobs SET status = 'queued', attempts = GREATEST(attempts - 1, 0), worker_id = NULL,
                heartbeat_at = NULL, updated_at = now()
          WHERE id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running'
         RETURNING id, attempts),
       ev AS (
         INSERT INTO job_events (job_id, type, level, message, attempt)
         SELECT id, 'status', 'warn', 'queued: worker shut down, job released', attempts FROM r)
       SELECT id FROM r`,
      fenceParams(fence),
    );
    if (rows.length > 0) await this.db.query(`SELECT pg_notify($1, 'released')`, [JOBS_CHANNEL]);
    return rows.length > 0;
  }

  /** UPDATE jobs SET <set> for the owning attempt; $4... are `params`. */
  private async fencedUpdate(
    fence: JobFence,
    write: string,
    set: string,
    params: unknown[],
  ): Promise<void> {
    const rows: unknown[] = await this.db.query(
      `WITH ${OWNER_CTE},
       w AS (UPDATE jobs j SET ${set} FROM owner WHERE j.id = owner.id RETURNING 1)
       SELECT 1 FROM w`,
      [...fenceParams(fence), ...params],
    );
    if (rows.length === 0) throw new StaleAttemptError(fence, write);
  }

  /** An INSERT ... SELECT ... FROM owner RETURNING 1 for the owning attempt; $4... are `params`. */
  private async fencedInsert(
    fence: JobFence,
    write: string,
    insert: string,
    params: unknown[],
  ): Promise<void> {
    const rows: unknown[] = await this.db.query(
      `WITH ${OWNER_CTE}, w AS (${insert}) SELECT 1 FROM w`,
      [...fenceParams(fence), ...params],
    );
    if (rows.length === 0) throw new StaleAttemptError(fence, write);
  }

  /**
   * A job whose worker is gone: re-queue it (it resumes from its checkpoint), or fail it once it
   * used all attempts, or mark it cancelled if cancellation was requested. `staleMs` applies to
   * any running job whose heartbeat is older than that. Returns the attempts it took away.
   */
  async releaseLost(
    reason: string,
    target: { jobId: string; workerId: string } | { staleMs: number },
  ): Promise<JobFence[]> {
    const where =
      'jobId' in target
        ? `id = $2 AND worker_id = $3 AND status = 'running'`
        : `status = 'running' AND heartbeat_at < now() - make_interval(secs => $2 / 1000.0)`;
    const params =
      'jobId' in target ? [reason, target.jobId, target.workerId] : [reason, target.staleMs];
    const rows: { id: string; worker_id: string; attempts: number }[] = await this.db.query(
      `WITH lost AS (
         SELECT id, worker_id, attempts FROM jobs WHERE ${where} FOR UPDATE SKIP LOCKED),
       moved AS (
         UPDATE jobs j SET status = CASE WHEN j.cancel_requested_at IS NOT NULL THEN 'cancelled'
                                         WHEN j.attempts >= j.max_attempts THEN 'failed'
                                         ELSE 'queued' END,
                worker_id = NULL, heartbeat_at = NULL, updated_at = now(),
                error = CASE WHEN j.cancel_requested_at IS NULL AND j.attempts >= j.max_attempts
                             THEN $1 || ' (after ' || j.attempts || ' attempts)' ELSE j.error END,
                finished_at = CASE WHEN j.cancel_requested_at IS NOT NULL OR j.attempts >= j.max_attempts
                                   THEN now() ELSE NULL END
           FROM lost WHERE j.id = lost.id
         RETURNING j.id, j.status, j.attempts),
       ev AS (
         INSERT INTO job_events (job_id, type, level, message, attempt)
         SELECT id, 'status', 'warn', status || ': ' || $1, attempts FROM moved)
       SELECT lost.id, lost.worker_id, lost.attempts FROM moved JOIN lost ON lost.id = moved.id`,
      params,
    );
    if (rows.length > 0) await this.db.query(`SELECT pg_notify($1, 'requeued')`, [JOBS_CHANNEL]);
    return rows.map((r) => ({ jobId: r.id, workerId: r.worker_id, attempt: r.attempts }));
  }

  /** Running jobs of these workers whose cancellation grace period has passed. */
  async overdueCancellations(
    workerIds: readonly string[],
    graceMs: number,
  ): Promise<{ id: string; worker_id: string }[]> {
    if (workerIds.length === 0) return [];
    return this.db.query(
      `SELECT id, worker_id FROM jobs
        WHERE status = 'running' AND worker_id = ANY($1::text[])
          AND cancel_requested_at < now() - make_interval(secs => $2 / 1000.0)`,
      [workerIds, graceMs],
    );
  }
}

/** Maps a raw `jobs` row (snake_case) to the entity's property names. */
export function fromRow(row: Record<string, unknown>): Partial<JobEntity> {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    kind: row.kind as string,
    spec: row.spec,
    status: row.status as JobEntity['status'],
    priority: row.priority as number,
    attempts: row.attempts as number,
    maxAttempts: row.max_attempts as number,
    progress: row.progress as number,
    progressMessage: row.progress_message as string | null,
    error: row.error as string | null,
    result: row.result,
    checkpoint: row.checkpoint,
    cancelRequestedAt: row.cancel_requested_at as Date | null,
    executor: row.executor as string | null,
    externalId: row.external_id as string | null,
    workerId: row.worker_id as string | null,
    heartbeatAt: row.heartbeat_at as Date | null,
    parentId: row.parent_id as string | null,
    idempotencyKey: row.idempotency_key as string | null,
    requestHash: row.request_hash as string | null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
    startedAt: row.started_at as Date | null,
    finishedAt: row.finished_at as Date | null,
  };
}
