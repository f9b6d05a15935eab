import { ArtifactStore } from '../artifacts/artifact-store';
import { ArtifactsRepository } from '../artifacts/artifacts.repository';
import { NotFoundError } from '../errors/domain-error';
import { JobFence, StaleAttemptError } from './job-fence';
import { ArtifactRef, JobContext } from './job-handler';
import type { JobRow } from './job-row';
import { JobsRepository } from './jobs.repository';
import { AttemptProcessGroups } from './process-groups';

const PROGRESS_INTERVAL_MS = 250;

/**
 * JobContext backed by the database and the artifact store. Every write is fenced by the
 * attempt (job-fence.ts): once one is refused, or the heartbeat learns the job was taken away,
 * the context is lost: the handler's signal aborts and every further write is refused here
 * without reaching the database. Progress writes are throttled; cancellation is learnt from
 * heartbeats (see JobRunner).
 */
export class DbJobContext implements JobContext {
  private readonly abort = new AbortController();
  private lastProgressAt = 0;
  private pendingProgress: Promise<void> = Promise.resolve();
  private cancelProbe: (() => boolean) | null = null;
  private isLost = false;

  constructor(
    private readonly job: JobRow,
    readonly fence: JobFence,
    private readonly queue: JobsRepository,
    private readonly artifacts: ArtifactsRepository,
    private readonly store: ArtifactStore,
    private readonly processGroups: AttemptProcessGroups,
  ) {}

  get jobId(): string {
    return this.job.id;
  }
  get projectId(): string {
    return this.job.project_id;
  }
  get attempt(): number {
    return this.fence.attempt;
  }
  get resumeFrom(): unknown {
    return this.job.checkpoint ?? undefined;
  }
  get cancelled(): boolean {
    if (!this.abort.signal.aborted && this.cancelProbe?.()) this.abort.abort();
    return this.abort.signal.aborted;
  }
  /** The job is no longer this attempt's (a write was refused or the heartbeat found it gone). */
  get lost(): boolean {
    return this.isLost;
  }

  /** A cheaper source of truth than waiting for the event loop: the heartbeat thread's flags. */
  setCancelProbe(probe: () => boolean): void {
    this.cancelProbe = probe;
  }
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  requestCancel(): void {
    if (!this.abort.signal.aborted) this.abort.abort();
  }

  /** Give the job up: stop the handler (its signal aborts) and refuse every further write. */
  markLost(): void {
    this.isLost = true;
    this.requestCancel();
  }

  async progress(fraction: number, message?: string): Promise<void> {
    const now = Date.now();
    const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
    if (clamped < 1 && now - this.lastProgressAt < PROGRESS_INTERVAL_MS) return;
    this.lastProgressAt = now;
    this.pendingProgress = this.fenced('progress', () =>
      this.queue.progress(this.fence, clamped, message ?? null),
    );
    await this.pendingProgress;
  }

  async log(message: string, level: 'info' | 'warn' | 'error' = 'info'): Promise<void> {
    await this.fenced('log', () =>
      this.queue.event(this.fence, 'log', level, message.slice(0, 10_000)),
    );
  }

  async metric(name: string, step: number, value: number): Promise<void> {
    if (!Number.isFinite(value))
      return this.log(`metric ${name} at step ${step} is not finite (${value})`, 'warn');
    await this.fenced('metric', () => this.queue.metric(this.fence, name, Math.trunc(step), value));
  }

  async checkpoint(state: unknown): Promise<void> {
    await this.fenced('checkpoint', () => this.queue.checkpoint(this.fence, state));
  }

  /**
   * Written to a temporary file, then put in place and recorded under the fence in one
   * transaction (ArtifactsRepository.recordForAttempt): a stale attempt's file is discarded,
   * never renamed over the current attempt's.
   */
  async artifact(
    name: string,
    data: Buffer | string,
    contentType = 'application/octet-stream',
  ): Promise<ArtifactRef> {
    const write = `artifact ${name}`;
    if (this.isLost) throw new StaleAttemptError(this.fence, write);
    const staged = await this.store.stage(this.job.project_id, this.job.id, name, data);
    try {
      await this.fenced(write, () =>
        this.artifacts.recordForAttempt(this.fence, name, staged, contentType, () =>
          this.store.place(staged),
        ),
      );
    } finally {
      await this.store.discard(staged);
    }
    return { jobId: this.job.id, name, size: staged.size, sha256: staged.sha256, contentType };
  }

  async readArtifact(jobId: string, name: string): Promise<Buffer> {
    const stored = await this.artifacts.pathInProject(this.job.project_id, jobId, name);
    if (stored === null) throw new NotFoundError('artifact', `${jobId}/${name}`);
    return this.store.read(stored);
  }

  registerProcessGroup(pgid: number): void {
    this.processGroups.add(pgid);
  }

  async flush(): Promise<void> {
    await this.pendingProgress.catch(() => undefined);
  }

  private async fenced<T>(write: string, run: () => Promise<T>): Promise<T> {
    if (this.isLost) throw new StaleAttemptError(this.fence, write);
    try {
      return await run();
    } catch (error) {
      if (error instanceof StaleAttemptError) this.markLost();
      throw error;
    }
  }
}
