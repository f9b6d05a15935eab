/**
 * What the Kubernetes executor needs from the job queue (the `jobs` table). The platform
 * implements it on PostgreSQL (PgDispatchQueue); tests also use an in-memory fake, and one
 * contract suite runs against both. The executor never touches a job row in any other way: the
 * worker inside the pod claims and finishes the row itself (JobsRepository.claimById / finish).
 *
 * Taken: a row is the executor's once `claim` recorded the Kubernetes Job name in
 * `jobs.external_id` (the local pool's claim skips such rows). `requeue` clears it again.
 *
 * Attempts (`jobs.attempts` counts attempts started; the n-th Kubernetes Job is `...-a<n>`):
 * every Job counts exactly once. When its worker started, the worker's claim counted it (queued
 * -> running, attempts + 1); when the pod died before the worker claimed the row (image pull,
 * eviction while pending, a crash at start-up), `requeue` counts it. So `requeue` of a running
 * row does not add one, of a still-queued row it does, and both fail the job once attempts
 * reach max_attempts.
 *
 * Terminal-state rule: `requeue`, `fail` and `markCancelled` never override a final status
 * (succeeded/failed/cancelled). The executor calls them whenever a pod ends without knowing
 * whether the worker already recorded the outcome; a final row makes them no-ops.
 */
import type { JobToDispatch } from './core/job-spec';

export type { JobToDispatch } from './core/job-spec';

export interface DispatchedJob extends JobToDispatch {
  /** Name of the Kubernetes Job of the current attempt (jobs.external_id). */
  externalId: string;
  status: 'queued' | 'running';
}

export type EventLevel = 'info' | 'warn' | 'error';

export interface DispatchQueue {
  /**
   * Queued jobs not taken yet and not being cancelled, in queue order (priority, then age);
   * quota is applied on these. `attempt` is the attempt the next Job would be (attempts + 1).
   */
  listQueued(limit: number): Promise<JobToDispatch[]>;
  /**
   * Atomically take a queued job for the Kubernetes Job `externalId` (jobs.executor =
   * 'kubernetes', jobs.external_id = externalId). False when it is no longer queued, was taken,
   * is being cancelled, or its attempt is no longer `job.attempt`.
   */
  claim(job: JobToDispatch, externalId: string): Promise<boolean>;
  /** The pod waits, with the Kubernetes reason (Unschedulable, ImagePull ...): an event. */
  markPending(jobId: string, reason: string): Promise<void>;
  /** The pod runs (the worker then claims the row and moves it to running itself). */
  markRunning(jobId: string, message: string): Promise<void>;
  /**
   * The pod died: back to queued (untaken) for a new attempt, or failed once attempts reach
   * max_attempts (see the attempt rule above).
   */
  requeue(jobId: string, reason: string): Promise<void>;
  /**
   * An Indexed Job (multi-pod work, no pod claims the row) completed: the row succeeds with
   * `message` as its event. A final row is left alone (terminal-state rule). Optional: a queue
   * without it fails such a row instead (no Indexed work).
   */
  succeedIndexed?(jobId: string, message: string): Promise<void>;
  /** Fail without retry (deadline exceeded, image never pulled, never schedulable). */
  fail(jobId: string, reason: string): Promise<void>;
  /**
   * Cancellation finished on the Kubernetes side (the Job is deleted): the job is cancelled
   * (a queued one the API already cancelled keeps its row and gets the event).
   */
  markCancelled(jobId: string, reason: string): Promise<void>;
  /** Which of these jobs have a cancellation requested (whatever their status now). */
  cancelRequested(jobIds: readonly string[]): Promise<string[]>;
  /** A job event (pod log lines, Kubernetes transitions) for GET /v1/jobs/:id. */
  appendEvent(jobId: string, level: EventLevel, message: string): Promise<void>;
  /** Jobs taken by this executor that are not final (for re-attaching after a restart). */
  activeDispatched(): Promise<DispatchedJob[]>;
  /**
   * Optional push: call `wake` whenever work may have been queued, so a new job is dispatched
   * at once rather than at the next dispatch interval (which stays as the fallback). Resolves
   * to the function that stops it.
   */
  onQueued?(wake: () => void): Promise<() => Promise<void>>;
}
