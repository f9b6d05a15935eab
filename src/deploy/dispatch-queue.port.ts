/**
 * What the Kubernetes executor needs from the job queue (the `jobs` table). The platform
 * implements it on PostgreSQL; tests use an in-memory fake. The executor never touches a job
 * row in any other way: the worker inside the pod claims and finishes the row itself.
 *
 * Terminal-state rule: `requeue`, `fail` and `markCancelled` never override a final status
 * (succeeded/failed/cancelled). The executor calls them whenever a pod ends without knowing
 * whether the worker already recorded the outcome; a final row makes them no-ops.
 */
import type { JobToDispatch } from './core/job-spec';

export type { JobToDispatch } from './core/job-spec';

export interface DispatchedJob extends JobToDispatch {
  /** Name of the Kubernetes Job, once created (jobs.external_id). */
  externalId: string | null;
  status: 'queued' | 'running';
}

export type EventLevel = 'info' | 'warn' | 'error';

export interface DispatchQueue {
  /** Queued jobs no executor has taken yet, oldest first (quota is applied on these). */
  listQueued(limit: number): Promise<JobToDispatch[]>;
  /**
   * Atomically take one queued job for this executor (jobs.executor = 'kubernetes').
   * False when it is no longer queued or another executor took it.
   */
  claim(jobId: string): Promise<boolean>;
  /** Record the Kubernetes Job name (jobs.external_id). */
  setExternalId(jobId: string, externalId: string): Promise<void>;
  /** The pod waits, with the Kubernetes reason (Unschedulable, ImagePull ...): an event. */
  markPending(jobId: string, reason: string): Promise<void>;
  /** The pod runs (the worker then claims the row and moves it to running itself). */
  markRunning(jobId: string, message: string): Promise<void>;
  /** The pod died: attempts + 1 and back to queued, or failed once attempts reach max_attempts. */
  requeue(jobId: string, reason: string): Promise<void>;
  /** Fail without retry (deadline exceeded, image never pulled, never schedulable). */
  fail(jobId: string, reason: string): Promise<void>;
  /** Cancellation finished on the Kubernetes side (the Job is deleted). */
  markCancelled(jobId: string, reason: string): Promise<void>;
  /** Ids of jobs taken by this executor whose cancellation was requested and that are not final. */
  cancelRequested(): Promise<string[]>;
  /** A job event (pod log lines, Kubernetes transitions) for GET /v1/jobs/:id. */
  appendEvent(jobId: string, level: EventLevel, message: string): Promise<void>;
  /** Jobs taken by this executor that are not final (for re-attaching after a restart). */
  activeDispatched(): Promise<DispatchedJob[]>;
}
