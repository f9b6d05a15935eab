/**
 * Executor port: how queued jobs get a process to run in. `local` runs a pool of worker
 * processes on this host; `kubernetes` (src/deploy) creates one batch/v1 Job per job.
 * Both run the same worker code (`node dist/worker.js run <jobId>` or a pool loop), which
 * claims the job row, runs its handler and reports through the database.
 */
export interface ExecutorJobRef {
  id: string;
  projectId: string;
  kind: string;
  attempt: number;
  /** Resource request derived from the job kind and spec (GPU count, CPU, memory). */
  resources?: { gpu?: number; cpu?: string; memory?: string; gpuType?: string };
}

export interface Executor {
  readonly name: 'local' | 'kubernetes';
  /** Start taking work (spawn workers, start watches, re-attach to running work). */
  start(): Promise<void>;
  /** Stop taking work; running jobs keep their rows and are re-queued if they die. */
  stop(): Promise<void>;
  /** Ask the executor to stop a running job's process now (after cooperative cancel failed). */
  kill(jobId: string): Promise<void>;
}

export const EXECUTOR = Symbol('EXECUTOR');
