import { JobRunner } from './job-runner';
import type { JobsRepository } from './jobs.repository';
import { listenForQueuedJobs, type QueueListener } from './queue-listener';

/** Messages a pool worker sends to its supervisor over IPC. */
export type WorkerMessage =
  | { type: 'ready'; workerId: string }
  | { type: 'claimed'; workerId: string; jobId: string }
  | { type: 'idle'; workerId: string };

/**
 * Messages the supervisor sends its pool workers: how many other compute workers run a job right
 * now, sent to every compute worker whenever one claims a job or goes idle. Training jobs with
 * `auto` threads take the cores the others leave free (src/ml/train/parallel.ts).
 */
export type SupervisorMessage = { type: 'pool-load'; busyElsewhere: number };

const IDLE_POLL_MS = 1000;

/**
 * The loop of a long-lived pool worker: claim, run, repeat. It sleeps on LISTEN/NOTIFY (with a
 * poll as a fallback) when the queue is empty, so new jobs start within milliseconds.
 */
export class WorkerLoop {
  private stopping = false;
  private wake: (() => void) | null = null;
  private listener: QueueListener | null = null;

  constructor(
    private readonly queue: JobsRepository,
    private readonly runner: JobRunner,
    private readonly databaseUrl: string,
    private readonly workerId: string,
    private readonly notify: (message: WorkerMessage) => void,
    /** The kinds this worker claims (its lane's); undefined claims every kind. */
    private readonly kinds?: readonly string[],
  ) {}

  async run(): Promise<void> {
    await this.listen();
    this.notify({ type: 'ready', workerId: this.workerId });
    while (!this.stopping) {
      const job = await this.queue.claimNext(this.workerId, this.kinds).catch(() => null);
      if (!job) {
        // The listening connection died with a database restart: listen again (polls meanwhile).
        if (!this.listener) await this.listen();
        await this.idle();
        continue;
      }
      this.notify({ type: 'claimed', workerId: this.workerId, jobId: job.id });
      await this.runner.run(job, this.workerId);
      this.notify({ type: 'idle', workerId: this.workerId });
    }
    await this.listener?.close();
  }

  /** Finish: stop claiming and give the current job back to the queue. */
  stop(): void {
    this.stopping = true;
    this.runner.interrupt();
    this.wake?.();
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, IDLE_POLL_MS);
      this.wake = done;
    });
  }

  private async listen(): Promise<void> {
    let listener: QueueListener | null = null;
    try {
      listener = await listenForQueuedJobs({
        databaseUrl: this.databaseUrl,
        applicationName: 'autodl-worker-listen',
        onQueued: () => this.wake?.(),
        onLost: () => {
          if (listener !== null && this.listener === listener) this.listener = null;
        },
      });
      this.listener = listener;
    } catch {
      this.listener = null; // polling still works
    }
  }
}
