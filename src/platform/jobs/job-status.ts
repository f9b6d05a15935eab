/**
 * A job's statuses, and which of them are final. Pure (no TypeORM), so the CLI, the site agent's
 * API and the deploy operator decide "finished" by the same list as the job service.
 */
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINISHED_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

/** Whether a job (or federation, or run) with this status will not change any more. */
export function isFinishedStatus(status: string): boolean {
  return (FINISHED_STATUSES as readonly string[]).includes(status);
}
