/**
 * Every write of the `jobs`, `job_events` and `metrics` tables and the reads of a project's
 * jobs: the API's (queue, list, cancel, retry, events, metrics, the live stream), the workers'
 * (claim, heartbeat and the writes fenced by their attempt), the local supervisor's (lost
 * workers, overdue cancellations) and the Kubernetes dispatcher's (`dispatch*`). The statements
 * themselves are in job-statements.ts and dispatch-statements.ts; aggregates over all projects
 * for /metrics and the admin page are QueueStatsRepository's (read-only).
 *
 * The durable queue is the `jobs` table itself, claimed with FOR UPDATE SKIP LOCKED. Chosen over
 * pg-boss because the job row and its queue entry are then one row: enqueueing is one INSERT
 * (nothing to keep in step across a crash), the status the API shows is the queue state, and it
 * runs on Node 20 (pg-boss 12 needs Node 22). Every write of a worker is a single statement
 * fenced by its attempt (job-fence.ts): a worker that lost its job gets a StaleAttemptError
 * instead of overwriting the new owner's state.
 */
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import type { JobEventRow, StreamFilter } from '../events/live-event';
import * as dispatch from './dispatch-statements';
import { JobFence, StaleAttemptError, fenceParams } from './job-fence';
import * as sql from './job-statements';
import { fromRow, type JobRow } from './job-row';
import { JobEntity, JobStatus } from './job.entity';

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

export interface JobListFilter {
  kind?: string;
  status?: JobStatus;
  parentId?: string;
  /** Only jobs without a parent (not combined with parentId). */
  topLevel?: boolean;
  limit?: number;
  offset?: number;
}

export interface JobEventRecord {
  id: number;
  type: string;
  level: string;
  message: string;
  attempt: number;
  time: Date;
}

export interface MetricPoint {
  name: string;
  step: number;
  value: number;
  time: Date;
}

/** A job's state as another capability's driver reads it (trial jobs of a study). */
export interface JobStatusRow {
  id: string;
  status: JobStatus;
  error: string | null;
  cancelRequested: boolean;
}

/** A queued job as the Kubernetes dispatcher reads it; `resources` is the spec's, unchecked. */
export interface DispatchRow {
  id: string;
  project_id: string;
  kind: string;
  attempts: number;
  resources: unknown;
  /** `spec.placement` of kinds that place their pods (namespace, nodeSelector, completions). */
  placement: unknown;
  /** `spec.trialImage` of a trial that runs in the user's image (its study's runner.image). */
  trial_image: string | null;
}

export interface ActiveDispatchRow extends DispatchRow {
  status: 'queued' | 'running';
  external_id: string;
}

const LIVE_COLUMNS = `e.id::text AS id, e.job_id AS "jobId", j.project_id AS "projectId", j.kind,
  e.type, e.level, e.message, e.attempt, e.created_at AS time, j.status AS "jobStatus",
  j.progress`;

@Injectable()
export class JobsRepository {
  constructor(private readonly db: DataSource) {}

  // ---- the API ------------------------------------------------------------------------------

  /**
   * Queues a job in one statement: the row, its `queued` event and the wake-up notification
   * (delivered at commit, so a worker never wakes for a row it cannot see yet). `tx` lets a
   * capability insert its own rows and the job in one transaction.
   */
  async insert(job: NewJob, tx: EntityManager = this.db.manager): Promise<JobEntity> {
    const rows: Record<string, unknown>[] = await tx.query(sql.INSERT_JOB, [
      job.projectId,
      job.kind,
      JSON.stringify(job.spec ?? {}),
      job.priority ?? 0,
      job.maxAttempts,
      job.parentId ?? null,
      job.idempotencyKey ?? null,
      job.requestHash ?? null,
    ]);
    return this.db.getRepository(JobEntity).create(fromRow(rows[0]));
  }

  findInProject(projectId: string, id: string): Promise<JobEntity | null> {
    return this.db.getRepository(JobEntity).findOneBy({ id, projectId });
  }

  findByIdempotencyKey(projectId: string, key: string): Promise<JobEntity | null> {
    return this.db.getRepository(JobEntity).findOneBy({ projectId, idempotencyKey: key });
  }

  /** Newest first. */
  async list(
    projectId: string,
    filter: JobListFilter,
  ): Promise<{ items: JobEntity[]; total: number }> {
    const [items, total] = await this.db.getRepository(JobEntity).findAndCount({
      where: {
        projectId,
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.parentId ? { parentId: filter.parentId } : {}),
        ...(filter.topLevel ? { parentId: IsNull() } : {}),
      },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: filter.limit ?? 50,
      skip: filter.offset ?? 0,
    });
    return { items, total };
  }

  /** Status, error and cancellation flag of these jobs (missing ids are left out). */
  async statusesOf(ids: readonly string[]): Promise<JobStatusRow[]> {
    if (ids.length === 0) return [];
    const rows: { id: string; status: JobStatus; error: string | null; c: boolean }[] =
      await this.db.query(
        `SELECT id, status, error, cancel_requested_at IS NOT NULL AS c FROM jobs
          WHERE id = ANY($1::uuid[])`,
        [ids],
      );
    return rows.map((r) => ({ id: r.id, status: r.status, error: r.error, cancelRequested: r.c }));
  }

  /** Queued: cancelled at once; running: flagged for its worker's next heartbeat. */
  async requestCancel(id: string): Promise<void> {
    await this.db.query(sql.REQUEST_CANCEL, [id]);
  }

  /** A failed or cancelled job queued again from scratch; idle workers are woken. */
  async retry(id: string): Promise<void> {
    await this.db.query(sql.RETRY, [id]);
    await this.db.query(`SELECT pg_notify($1, 'retry')`, [sql.JOBS_CHANNEL]);
  }

  async events(jobId: string, afterId: number, limit: number): Promise<JobEventRecord[]> {
    const rows: {
      id: string;
      type: string;
      level: string;
      message: string;
      attempt: number;
      created_at: Date;
    }[] = await this.db.query(
      `SELECT id, type, level, message, attempt, created_at FROM job_events
          WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [jobId, afterId, limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      type: r.type,
      level: r.level,
      message: r.message,
      attempt: r.attempt,
      time: r.created_at,
    }));
  }

  metrics(jobId: string, name?: string): Promise<MetricPoint[]> {
    return this.db.query(
      `SELECT name, step, value, time FROM metrics WHERE job_id = $1 AND ($2::text IS NULL OR name = $2)
        ORDER BY name, step`,
      [jobId, name ?? null],
    );
  }

  /** Events by id, with their job's state (the live stream's fan-out of NOTIFY payloads). */
  async liveEventsByIds(ids: readonly string[]): Promise<JobEventRow[]> {
    if (ids.length === 0) return [];
    return this.db.query(
      `SELECT ${LIVE_COLUMNS} FROM job_events e JOIN jobs j ON j.id = e.job_id
        WHERE e.id = ANY($1::bigint[]) ORDER BY e.id`,
      [ids],
    );
  }

  /** The project's events after `afterId` (oldest first), at most `limit` (a stream resumes). */
  liveEventsAfter(filter: StreamFilter, afterId: string, limit: number): Promise<JobEventRow[]> {
    return this.db.query(
      `SELECT ${LIVE_COLUMNS} FROM job_events e JOIN jobs j ON j.id = e.job_id
        WHERE j.project_id = $1 AND e.id > $2::bigint
          AND ($3::uuid IS NULL OR e.job_id = $3::uuid) AND ($4::text IS NULL OR j.kind = $4)
        ORDER BY e.id LIMIT $5`,
      [filter.projectId, afterId, filter.jobId ?? null, filter.kind ?? null, limit],
    );
  }

  // ---- workers --------------------------------------------------------------------------------

  /** Claim the next queued job of these kinds (all: undefined) for a local worker. */
  async claimNext(workerId: string, kinds?: readonly string[]): Promise<JobRow | null> {
    const rows: JobRow[] = await this.db.query(sql.CLAIM_NEXT, [
      workerId,
      kinds && kinds.length > 0 ? kinds : null,
    ]);
    return rows[0] ?? null;
  }

  /** Claim one job by id (a Kubernetes pod running `worker run <jobId>`). */
  async claimById(jobId: string, workerId: string, executor: string): Promise<JobRow | null> {
    const rows: JobRow[] = await this.db.query(sql.CLAIM_BY_ID, [jobId, workerId, executor]);
    return rows[0] ?? null;
  }

  /** Null when this attempt no longer owns the job (re-queued, cancelled, deleted). */
  async heartbeat(fence: JobFence): Promise<{ cancelRequested: boolean } | null> {
    const rows: sql.HeartbeatRow[] = await this.db.query(sql.HEARTBEAT, fenceParams(fence));
    return rows.length === 0 ? null : { cancelRequested: rows[0].cancel_requested_at !== null };
  }

  async progress(fence: JobFence, fraction: number, message: string | null): Promise<void> {
    await this.fenced(fence, 'progress', sql.SET_PROGRESS, [fraction, message]);
  }

  async checkpoint(fence: JobFence, state: unknown): Promise<void> {
    await this.fenced(fence, 'checkpoint', sql.SET_CHECKPOINT, [JSON.stringify(state ?? null)]);
  }

  async event(
    fence: JobFence,
    type: 'log' | 'status',
    level: string,
    message: string,
  ): Promise<void> {
    await this.fenced(fence, 'log', sql.APPEND_EVENT, [type, level, message]);
  }

  /** Idempotent per (name, step) within the owning attempt (a resumed job may repeat a step). */
  async metric(fence: JobFence, name: string, step: number, value: number): Promise<void> {
    await this.fenced(fence, 'metric', sql.UPSERT_METRIC, [name, step, value]);
  }

  /** Final transition of a running job by the attempt that owns it; false if it no longer does. */
  async finish(
    fence: JobFence,
    status: 'succeeded' | 'failed' | 'cancelled',
    outcome: { result?: unknown; error?: string },
  ): Promise<boolean> {
    const rows: unknown[] = await this.db.query(sql.FINISH, [
      ...fenceParams(fence),
      status,
      outcome.result === undefined ? null : JSON.stringify(outcome.result),
      outcome.error ?? null,
    ]);
    return rows.length > 0;
  }

  /**
   * Gives a running job back to the queue without using up an attempt (the worker shuts down);
   * only while this attempt owns it, so a stale worker never releases someone else's run.
   */
  async release(fence: JobFence): Promise<boolean> {
    const rows: unknown[] = await this.db.query(sql.RELEASE, fenceParams(fence));
    if (rows.length > 0) await this.notifyQueued('released');
    return rows.length > 0;
  }

  // ---- the local supervisor ------------------------------------------------------------------

  /**
   * A job whose worker is gone: re-queue it (it resumes from its checkpoint), or fail it once it
   * used all attempts, or mark it cancelled if cancellation was requested. `staleMs` applies to
   * any running job whose heartbeat is older than that. Returns the attempts it took away.
   */
  async releaseLost(
    reason: string,
    target: { jobId: string; workerId: string } | { staleMs: number },
  ): Promise<JobFence[]> {
    const [where, params] =
      'jobId' in target
        ? [sql.LOST_OF_WORKER, [reason, target.jobId, target.workerId]]
        : [sql.LOST_BY_HEARTBEAT, [reason, target.staleMs]];
    const rows: { id: string; worker_id: string; attempts: number }[] = await this.db.query(
      sql.releaseLost(where),
      params,
    );
    if (rows.length > 0) await this.notifyQueued('requeued');
    return rows.map((r) => ({ jobId: r.id, workerId: r.worker_id, attempt: r.attempts }));
  }

  /** Running jobs of these workers whose cancellation grace period has passed. */
  async overdueCancellations(
    workerIds: readonly string[],
    graceMs: number,
  ): Promise<{ id: string; worker_id: string }[]> {
    if (workerIds.length === 0) return [];
    return this.db.query(sql.OVERDUE_CANCELLATIONS, [workerIds, graceMs]);
  }

  // ---- the Kubernetes dispatcher (rules: src/deploy/dispatch-queue.port.ts) -----------------

  dispatchable(limit: number): Promise<DispatchRow[]> {
    return this.db.query(dispatch.DISPATCHABLE, [limit]);
  }

  /** Takes a queued job for the Kubernetes Job `externalId` as attempt `attempt`. */
  async takeForDispatch(jobId: string, externalId: string, attempt: number): Promise<boolean> {
    const rows: unknown[] = await this.db.query(dispatch.TAKE, [jobId, externalId, attempt]);
    return rows.length > 0;
  }

  async requeueDispatched(jobId: string, reason: string): Promise<void> {
    await this.db.query(dispatch.REQUEUE, [jobId, reason]);
  }

  async failDispatched(jobId: string, reason: string): Promise<void> {
    await this.db.query(dispatch.FAIL, [jobId, reason]);
  }

  /** The row an Indexed Job's pod runs a part of (it does not claim it; indexed-pod.ts). */
  async indexedRow(jobId: string): Promise<{
    id: string;
    projectId: string;
    kind: string;
    spec: unknown;
    status: string;
  } | null> {
    const rows: { id: string; project_id: string; kind: string; spec: unknown; status: string }[] =
      await this.db.query(`SELECT id, project_id, kind, spec, status FROM jobs WHERE id = $1`, [
        jobId,
      ]);
    const r = rows[0];
    return r
      ? { id: r.id, projectId: r.project_id, kind: r.kind, spec: r.spec, status: r.status }
      : null;
  }

  async succeedIndexedDispatched(jobId: string, message: string): Promise<void> {
    await this.db.query(dispatch.SUCCEED_INDEXED, [jobId, message]);
  }

  async markDispatchedCancelled(jobId: string, reason: string): Promise<void> {
    await this.db.query(dispatch.MARK_CANCELLED, [jobId, reason]);
  }

  /** Which of these jobs have a cancellation requested (whatever their status now). */
  async cancelRequested(jobIds: readonly string[]): Promise<string[]> {
    if (jobIds.length === 0) return [];
    const rows: { id: string }[] = await this.db.query(dispatch.CANCEL_REQUESTED, [jobIds]);
    return rows.map((r) => r.id);
  }

  /** A `log` event outside any worker's attempt (pod transitions, pod output). */
  async appendDispatchEvent(jobId: string, level: string, message: string): Promise<void> {
    await this.db.query(dispatch.APPEND_DISPATCH_EVENT, [jobId, level, message]);
  }

  activeDispatched(): Promise<ActiveDispatchRow[]> {
    return this.db.query(dispatch.ACTIVE_DISPATCHED);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private async notifyQueued(payload: string): Promise<void> {
    await this.db.query(`SELECT pg_notify($1, $2)`, [sql.JOBS_CHANNEL, payload]);
  }

  /** Runs a fenced statement (fence $1-$3, `params` $4...); no row: StaleAttemptError. */
  private async fenced(
    fence: JobFence,
    write: string,
    statement: string,
    params: unknown[],
  ): Promise<void> {
    const rows: unknown[] = await this.db.query(statement, [...fenceParams(fence), ...params]);
    if (rows.length === 0) throw new StaleAttemptError(fence, write);
  }
}
