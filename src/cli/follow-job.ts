import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient, CliError } from './client';
import { printJson, Progress } from './output';
import { isFinishedStatus } from '../platform/jobs/job-status';

/** A job as GET /v1/jobs/:id answers (the fields the CLI reads). */
export interface Job {
  id: string;
  kind: string;
  status: string;
  progress: number;
  progressMessage: string | null;
  attempts: number;
  error: string | null;
  result: unknown;
  createdAt: string;
}

export interface JobEvent {
  id: number;
  type: string;
  level: string;
  message: string;
  time: string;
}

/** A finished job whose result is an object (the capabilities' jobs). */
export interface JobRef {
  id: string;
  status: string;
  error: string | null;
  result: Record<string, unknown> | null;
}

/**
 * Polls a job until it finishes, with a progress bar on a TTY (or progress lines on a pipe).
 * Returns the final job; with `printLogs` the job's log lines stream to stdout as they arrive,
 * above the bar.
 */
export async function followJob(
  api: ApiClient,
  id: string,
  opts: { progress: boolean; printLogs: boolean },
): Promise<Job> {
  const bar = new Progress(opts.progress);
  let after = 0;
  try {
    for (;;) {
      const job = await api.get<Job>(`/v1/jobs/${id}`);
      if (opts.printLogs) {
        const events = await api.get<JobEvent[]>(`/v1/jobs/${id}/events?after=${after}`);
        for (const e of events) {
          bar.log(`${e.time} ${e.level.padEnd(5)} ${e.message}`);
          after = e.id;
        }
      }
      bar.update(
        job.progress,
        `${job.status}${job.progressMessage ? ` - ${job.progressMessage}` : ''}`,
      );
      if (isFinishedStatus(job.status)) return job;
      await sleep(500);
    }
  } finally {
    bar.stop();
  }
}

/**
 * Follows a job (a progress bar unless --json) and returns it once it succeeded; otherwise
 * prints it with --json and fails the command with the job's error.
 */
export async function followToSuccess(api: ApiClient, id: string, json: boolean): Promise<JobRef> {
  const job = (await followJob(api, id, {
    progress: !json,
    printLogs: false,
  })) as unknown as JobRef;
  if (job.status === 'succeeded') return job;
  if (json) printJson(job);
  throw new CliError(`job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}`);
}
