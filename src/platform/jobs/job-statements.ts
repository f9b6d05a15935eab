/**
 * The SQL of a job's lifecycle on the `jobs` and `job_events` tables, as plain strings: the
 * JobsRepository runs them through TypeORM and the heartbeat thread (heartbeat-worker.ts) runs
 * HEARTBEAT with its own `pg` connection, so this module imports nothing heavier than the fence.
 * Every transition is one statement that writes the row and its event together (nothing
 * half-done after a crash); every write of a worker is fenced by its attempt (job-fence.ts).
 * Statements that TypeORM would answer with [rows, count] (a bare UPDATE ... RETURNING) are
 * wrapped in a CTE.
 */
import { OWNER_CTE } from './job-fence';

/** NOTIFY channel of queued work: idle pool workers and the Kubernetes dispatcher listen on it. */
export const JOBS_CHANNEL = 'autodl_jobs';

/** $1 project, $2 kind, $3 spec, $4 priority, $5 max attempts, $6 parent, $7 idempotency key, $8 request hash. */
export const INSERT_JOB = `WITH j AS (
     INSERT INTO jobs (project_id, kind, spec, priority, max_attempts, parent_id, idempotency_key, request_hash)
     VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8) RETURNING *),
   e AS (
     INSERT INTO job_events (job_id, type, message, attempt) SELECT id, 'status', 'queued', 0 FROM j),
   n AS (SELECT pg_notify('${JOBS_CHANNEL}', kind) FROM j)
   SELECT j.* FROM j CROSS JOIN n`;

/** $1 worker id, $2 kinds (null: any). The next queued job, highest priority then oldest. */
export const CLAIM_NEXT = `WITH next AS (
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
   SELECT * FROM claimed`;

/** $1 job, $2 worker id, $3 executor. */
export const CLAIM_BY_ID = `WITH claimed AS (
     UPDATE jobs SET status = 'running', attempts = attempts + 1, worker_id = $2,
            executor = $3, heartbeat_at = now(), started_at = COALESCE(started_at, now()),
            updated_at = now()
      WHERE id = $1 AND status = 'queued'
     RETURNING *),
   ev AS (
     INSERT INTO job_events (job_id, type, message, attempt)
     SELECT id, 'status', 'running on ' || $2, attempts FROM claimed)
   SELECT * FROM claimed`;

/** The fence ($1 job, $2 worker, $3 attempt); no row: the attempt lost the job. */
export const HEARTBEAT = `WITH beat AS (
     UPDATE jobs SET heartbeat_at = now()
      WHERE id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running'
     RETURNING cancel_requested_at)
   SELECT * FROM beat`;

/** What HEARTBEAT returns per row. */
export interface HeartbeatRow {
  cancel_requested_at: Date | null;
}

/** UPDATE jobs SET `set` for the owning attempt (fence $1-$3, `set` uses $4...). */
export function fencedUpdate(set: string): string {
  return `WITH ${OWNER_CTE},
   w AS (UPDATE jobs j SET ${set} FROM owner WHERE j.id = owner.id RETURNING 1)
   SELECT 1 FROM w`;
}

/** An `INSERT ... SELECT ... FROM owner RETURNING 1` for the owning attempt (fence $1-$3). */
export function fencedInsert(insert: string): string {
  return `WITH ${OWNER_CTE}, w AS (${insert}) SELECT 1 FROM w`;
}

export const SET_PROGRESS = fencedUpdate(
  `progress = $4, progress_message = COALESCE($5, progress_message), updated_at = now()`,
);

export const SET_CHECKPOINT = fencedUpdate(`checkpoint = $4::jsonb`);

/** $4 type, $5 level, $6 message. */
export const APPEND_EVENT = fencedInsert(
  `INSERT INTO job_events (job_id, type, level, message, attempt)
   SELECT id, $4, $5, $6, attempts FROM owner RETURNING 1`,
);

/** $4 name, $5 step, $6 value; idempotent per (name, step). */
export const UPSERT_METRIC = fencedInsert(
  `INSERT INTO metrics (job_id, name, step, value) SELECT id, $4, $5, $6 FROM owner
   ON CONFLICT (job_id, name, step) DO UPDATE SET value = EXCLUDED.value, time = now()
   RETURNING 1`,
);

/** Fence $1-$3, $4 status, $5 result (jsonb), $6 error. */
export const FINISH = `WITH done AS (
     UPDATE jobs SET status = $4, result = $5::jsonb, error = $6, finished_at = now(),
            progress = CASE WHEN $4 = 'succeeded' THEN 1 ELSE progress END, updated_at = now()
      WHERE id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running'
     RETURNING id, attempts),
   ev AS (
     INSERT INTO job_events (job_id, type, level, message, attempt)
     SELECT id, 'status', CASE WHEN $4 = 'failed' THEN 'error' ELSE 'info' END,
            $4 || COALESCE(': ' || $6, ''), attempts FROM done)
   SELECT id FROM done`;

/** Fence $1-$3: back to the queue without using up the attempt. */
export const RELEASE = `WITH r AS (
     UPDATE jobs SET status = 'queued', attempts = GREATEST(attempts - 1, 0), worker_id = NULL,
            heartbeat_at = NULL, updated_at = now()
      WHERE id = $1 AND worker_id = $2 AND attempts = $3 AND status = 'running'
     RETURNING id, attempts),
   ev AS (
     INSERT INTO job_events (job_id, type, level, message, attempt)
     SELECT id, 'status', 'warn', 'queued: worker shut down, job released', attempts FROM r)
   SELECT id FROM r`;

/**
 * How a cancel request updates a row of `jobs` aliased `t`: a queued one is cancelled at once, a
 * running one gets the flag its heartbeat reads. CANCEL_EVENT is its event, over the RETURNING
 * status. REQUEST_CANCEL and cancelChildren share both.
 */
function requestCancelSet(t: string): string {
  return `cancel_requested_at = COALESCE(${t}.cancel_requested_at, now()),
            status = CASE WHEN ${t}.status = 'queued' THEN 'cancelled' ELSE ${t}.status END,
            finished_at = CASE WHEN ${t}.status = 'queued' THEN now() ELSE ${t}.finished_at END,
            updated_at = now()`;
}
const CANCEL_EVENT = `CASE WHEN status = 'cancelled' THEN 'cancelled' ELSE 'cancel requested' END`;

/**
 * A CTE named `children` for a statement whose CTE `ended` (columns id, status) ends jobs: the
 * children (parent_id) of those it ended cancelled, still queued or running, are cancelled as
 * REQUEST_CANCEL cancels (a queued one at once, a running one gets the flag its heartbeat
 * reads), each with its event. A driver (study, NAS run, federation) that stops on its cancel
 * cancels its children itself; this is for the platform ending it instead: its worker died or
 * ignored the cancel past the grace period, its pod was deleted. Without it the children run
 * on, orphaned (a trial job of a deleted Study ran for its whole 600 s).
 */
export function cancelChildren(ended: string): string {
  return `children AS (
     UPDATE jobs k SET ${requestCancelSet('k')}
      WHERE k.parent_id IN (SELECT id FROM ${ended} WHERE status = 'cancelled')
        AND k.status IN ('queued', 'running')
     RETURNING k.id, k.status, k.attempts, k.parent_id),
   children_ev AS (
     INSERT INTO job_events (job_id, type, level, message, attempt)
     SELECT id, 'status', 'warn', ${CANCEL_EVENT} || ': its parent job ' || parent_id || ' was cancelled',
            attempts FROM children)`;
}

/** Lost running jobs: of one worker ($2 job, $3 worker) or with a stale heartbeat ($2 ms). */
export const LOST_OF_WORKER = `id = $2 AND worker_id = $3 AND status = 'running'`;
export const LOST_BY_HEARTBEAT = `status = 'running' AND heartbeat_at < now() - make_interval(secs => $2 / 1000.0)`;

/**
 * $1 reason; `where` one of the LOST_* conditions. Re-queued, failed once the attempts are used
 * up, or cancelled when a cancellation was requested.
 */
export function releaseLost(where: string): string {
  return `WITH lost AS (
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
     SELECT id, 'status', 'warn', status || ': ' || $1, attempts FROM moved),
   ${cancelChildren('moved')}
   SELECT lost.id, lost.worker_id, lost.attempts FROM moved JOIN lost ON lost.id = moved.id`;
}

/** $1 job: queued ones are cancelled at once, running ones get the flag their heartbeat reads. */
export const REQUEST_CANCEL = `WITH c AS (
     UPDATE jobs j SET ${requestCancelSet('j')}
      WHERE j.id = $1 AND j.status IN ('queued', 'running') RETURNING j.id, j.status, j.attempts)
   INSERT INTO job_events (job_id, type, level, message, attempt)
   SELECT id, 'status', 'warn', ${CANCEL_EVENT}, attempts FROM c`;

/** $1 job: a failed or cancelled job queued again from scratch. */
export const RETRY = `WITH r AS (
     UPDATE jobs SET status = 'queued', attempts = 0, error = NULL, result = NULL, checkpoint = NULL,
            progress = 0, progress_message = NULL, cancel_requested_at = NULL, worker_id = NULL,
            external_id = NULL, heartbeat_at = NULL, started_at = NULL, finished_at = NULL, updated_at = now()
      WHERE id = $1 AND status IN ('failed', 'cancelled') RETURNING id)
   INSERT INTO job_events (job_id, type, message, attempt) SELECT id, 'status', 'queued: retry', 0 FROM r`;

/** $1 worker ids, $2 grace ms. */
export const OVERDUE_CANCELLATIONS = `SELECT id, worker_id FROM jobs
    WHERE status = 'running' AND worker_id = ANY($1::text[])
      AND cancel_requested_at < now() - make_interval(secs => $2 / 1000.0)`;

/**
 * A job's status as a scalar SQL expression (null: no such job), for a capability's query that
 * shows a job's state beside its own rows (the studies list: the driver's end shows through), so
 * no capability spells out the `jobs` table itself. `jobId` is a column or parameter, not input.
 */
export function jobStatusOf(jobId: string): string {
  return `(SELECT status FROM jobs WHERE id = ${jobId})`;
}
