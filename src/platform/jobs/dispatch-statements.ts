/**
 * The SQL of the Kubernetes executor's dispatch queue on `jobs` and `job_events`, run by
 * JobsRepository (its `dispatch*` methods; src/deploy/pg-dispatch-queue.ts adapts them to the
 * executor's DispatchQueue port, whose doc states the attempt and terminal-state rules). Every
 * transition is one statement guarded by the status it expects, so a worker finishing the row at
 * the same moment wins or loses cleanly, and its event is written by the same statement.
 */
import { cancelChildren, JOBS_CHANNEL } from './job-statements';

/** Attempt an event of this row belongs to: a taken queued row waits for attempt attempts + 1. */
const EVENT_ATTEMPT = `CASE WHEN j.status = 'queued' AND j.external_id IS NOT NULL
                           THEN j.attempts + 1 ELSE j.attempts END`;

/** $1 limit: queued, untaken, not being cancelled, in queue order. */
export const DISPATCHABLE = `SELECT id, project_id, kind, attempts, spec -> 'resources' AS resources,
           spec -> 'placement' AS placement, spec ->> 'trialImage' AS trial_image FROM jobs
    WHERE status = 'queued' AND external_id IS NULL AND cancel_requested_at IS NULL
    ORDER BY priority DESC, created_at, id
    LIMIT $1`;

/** $1 job, $2 Kubernetes Job name, $3 the attempt it would be. */
export const TAKE = `WITH taken AS (
     UPDATE jobs SET executor = 'kubernetes', external_id = $2, updated_at = now()
      WHERE id = $1 AND status = 'queued' AND external_id IS NULL
        AND cancel_requested_at IS NULL AND attempts = $3 - 1
     RETURNING id)
   SELECT id FROM taken`;

/** SET expressions see the row before the update: the attempt count after this one. */
const N = `(CASE WHEN j.status = 'queued' THEN j.attempts + 1 ELSE j.attempts END)`;

/** $1 job, $2 reason: the pod died; back to the queue, or failed once attempts are used up. */
export const REQUEUE = `WITH moved AS (
     UPDATE jobs j SET
            attempts = ${N},
            status = CASE WHEN j.cancel_requested_at IS NOT NULL THEN 'cancelled'
                          WHEN ${N} >= j.max_attempts THEN 'failed'
                          ELSE 'queued' END,
            error = CASE WHEN j.cancel_requested_at IS NULL AND ${N} >= j.max_attempts
                         THEN $2 || ' (attempt ' || ${N} || ' of ' || j.max_attempts || ')'
                         ELSE j.error END,
            finished_at = CASE WHEN j.cancel_requested_at IS NOT NULL OR ${N} >= j.max_attempts
                               THEN now() ELSE NULL END,
            external_id = NULL, worker_id = NULL, heartbeat_at = NULL, updated_at = now()
      WHERE j.id = $1 AND j.status IN ('queued', 'running')
     RETURNING j.id, j.status, j.attempts),
   ev AS (
     INSERT INTO job_events (job_id, type, level, message, attempt)
     SELECT id, 'status', CASE WHEN status = 'failed' THEN 'error' ELSE 'warn' END,
            status || ': ' || $2, attempts FROM moved),
   wake AS (SELECT pg_notify('${JOBS_CHANNEL}', 'requeued') FROM moved WHERE status = 'queued'),
   ${cancelChildren('moved')}
   SELECT moved.id FROM moved LEFT JOIN wake ON true`;

/** $1 job, $2 reason. A taken row still queued had a Job whose worker never started: it counts. */
export const FAIL = `WITH done AS (
     UPDATE jobs j SET status = 'failed', error = $2, finished_at = now(),
            attempts = CASE WHEN j.status = 'queued' AND j.external_id IS NOT NULL
                            THEN j.attempts + 1 ELSE j.attempts END,
            worker_id = NULL, heartbeat_at = NULL, updated_at = now()
      WHERE j.id = $1 AND j.status IN ('queued', 'running')
     RETURNING j.id, j.attempts)
   INSERT INTO job_events (job_id, type, level, message, attempt)
   SELECT id, 'status', 'error', 'failed: ' || $2, attempts FROM done`;

/**
 * $1 job, $2 message: an Indexed Job completed (its pods do not claim the row): succeeded, the
 * attempt counted as FAIL counts it.
 */
export const SUCCEED_INDEXED = `WITH done AS (
     UPDATE jobs j SET status = 'succeeded', progress = 1, finished_at = now(),
            started_at = COALESCE(j.started_at, j.created_at),
            attempts = CASE WHEN j.status = 'queued' AND j.external_id IS NOT NULL
                            THEN j.attempts + 1 ELSE j.attempts END,
            worker_id = NULL, heartbeat_at = NULL, updated_at = now()
      WHERE j.id = $1 AND j.status IN ('queued', 'running')
     RETURNING j.id, j.attempts)
   INSERT INTO job_events (job_id, type, level, message, attempt)
   SELECT id, 'status', 'info', 'succeeded: ' || $2, attempts FROM done`;

/**
 * $1 job, $2 reason. The API cancels a queued row at once; its Job is deleted afterwards, so a
 * row already cancelled keeps its state and only gets a log event. Both parts of `targets` read
 * the statement's snapshot, so they never both match. The children of a row it cancels are
 * cancelled with it (cancelChildren), as they are by REQUEUE and releaseLost.
 */
export const MARK_CANCELLED = `WITH c AS (
     UPDATE jobs SET status = 'cancelled', finished_at = now(), worker_id = NULL,
            heartbeat_at = NULL, updated_at = now()
      WHERE id = $1 AND status IN ('queued', 'running')
     RETURNING id, status, attempts),
   ${cancelChildren('c')},
   targets AS (
     SELECT id, attempts, 'status' AS type FROM c
     UNION ALL
     SELECT id, attempts, 'log' FROM jobs WHERE id = $1 AND status = 'cancelled')
   INSERT INTO job_events (job_id, type, level, message, attempt)
   SELECT id, type, 'warn', 'cancelled: ' || $2, attempts FROM targets`;

/** $1 job ids. */
export const CANCEL_REQUESTED = `SELECT id FROM jobs WHERE id = ANY($1::uuid[]) AND cancel_requested_at IS NOT NULL`;

/** $1 job, $2 level, $3 message: a `log` event (a deleted job's late pod output is dropped). */
export const APPEND_DISPATCH_EVENT = `INSERT INTO job_events (job_id, type, level, message, attempt)
   SELECT j.id, 'log', $2, $3, ${EVENT_ATTEMPT} FROM jobs j WHERE j.id = $1`;

export const ACTIVE_DISPATCHED = `SELECT id, project_id, kind, attempts, status, external_id, spec -> 'resources' AS resources,
           spec -> 'placement' AS placement, spec ->> 'trialImage' AS trial_image
     FROM jobs
    WHERE external_id IS NOT NULL AND status IN ('queued', 'running')
    ORDER BY created_at, id`;
