/**
 * Fencing of a worker's writes (the "fencing token" of Kleppmann, "How to do distributed
 * locking", 2016; Chubby's sequencers). A job's attempt counter is bumped by every claim, so the
 * pair (worker id, attempt) names one run of a job: a write carries it and is refused unless the
 * job row is still `running` under that very pair. A worker that lost its job (paused past the
 * heartbeat timeout, re-queued and claimed elsewhere) can therefore not overwrite the metrics,
 * logs, checkpoint, artifacts or result of the attempt that replaced it.
 */
export interface JobFence {
  jobId: string;
  workerId: string;
  /** The job's `attempts` value set by the claim this worker made. */
  attempt: number;
}

/** A write from an attempt that no longer owns its job; the worker must give the job up. */
export class StaleAttemptError extends Error {
  constructor(
    readonly fence: JobFence,
    readonly write: string,
  ) {
    super(
      `job ${fence.jobId}: attempt ${fence.attempt} of worker ${fence.workerId} no longer owns the job; ${write} refused`,
    );
    this.name = 'StaleAttemptError';
  }
}

/**
 * The job row while the fence ($1 job id, $2 worker id, $3 attempt) owns it, as a CTE named
 * `owner`. FOR KEY SHARE makes the check and the write one step: a re-queue (releaseLost locks
 * the row FOR UPDATE) cannot commit between them, and a row re-queued after the statement's
 * snapshot is re-checked on its newest version (READ COMMITTED re-evaluation) and drops out.
 */
export const OWNER_CTE = `owner AS (
  SELECT id, attempts FROM jobs
   WHERE id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running'
   FOR KEY SHARE)`;

export function fenceParams(fence: JobFence): [string, string, number] {
  return [fence.jobId, fence.workerId, fence.attempt];
}
