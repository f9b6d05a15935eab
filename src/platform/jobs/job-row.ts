/** The raw `jobs` row a claim returns, and its mapping to the entity. */
import type { JobFence } from './job-fence';
import type { JobEntity, JobStatus } from './job.entity';

/** Raw row of `jobs` as a claim returns it (RETURNING *). */
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

/** The fence of the attempt a claim returned. */
export function fenceOf(job: JobRow, workerId: string): JobFence {
  return { jobId: job.id, workerId, attempt: job.attempts };
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
