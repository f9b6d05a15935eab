import { ArtifactStore } from '../artifacts/artifact-store';
import { DataSource } from 'typeorm';
import { NotFoundError } from '../errors/domain-error';
import { ArtifactRef, JobContext } from './job-handler';
import { JobQueue, JobRow } from './job-queue';

const PROGRESS_INTERVAL_MS = 250;

/**
 * JobContext backed by the database and the artifact store. Progress writes are throttled;
 * cancellation is learnt from heartbeats (see JobRunner).
 */
export class DbJobContext implements JobContext {
  private readonly abort = new AbortController();
  private lastProgressAt = 0;
  private pendingProgress: Promise<void> = Promise.resolve();
  private cancelProbe: (() => boolean) | null = null;

  constructor(
    private readonly job: JobRow,
    private readonly workerId: string,
    private readonly queue: JobQueue,
    private readonly db: DataSource,
    private readonly store: ArtifactStore,
  ) {}

  get jobId(): string {
    return this.job.id;
  }
  get projectId(): string {
    return this.job.project_id;
  }
  get attempt(): number {
    return this.job.attempts;
  }
  get resumeFrom(): unknown {
    return this.job.checkpoint ?? undefined;
  }
  get cancelled(): boolean {
    if (!this.abort.signal.aborted && this.cancelProbe?.()) this.abort.abort();
    return this.abort.signal.aborted;
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

  async progress(fraction: number, message?: string): Promise<void> {
    const now = Date.now();
    const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
    if (clamped < 1 && now - this.lastProgressAt < PROGRESS_INTERVAL_MS) return;
    this.lastProgressAt = now;
    this.pendingProgress = this.queue.progress(
      this.job.id,
      this.workerId,
      clamped,
      message ?? null,
    );
    await this.pendingProgress;
  }

  async log(message: string, level: 'info' | 'warn' | 'error' = 'info'): Promise<void> {
    await this.queue.event(this.job.id, 'log', level, message.slice(0, 10_000), this.job.attempts);
  }

  async metric(name: string, step: number, value: number): Promise<void> {
    if (!Number.isFinite(value))
      return this.log(`metric ${name} at step ${step} is not finite (${value})`, 'warn');
    await this.queue.metric(this.job.id, name, Math.trunc(step), value);
  }

  async checkpoint(state: unknown): Promise<void> {
    await this.queue.checkpoint(this.job.id, this.workerId, state);
  }

  async artifact(
    name: string,
    data: Buffer | string,
    contentType = 'application/octet-stream',
  ): Promise<ArtifactRef> {
    const stored = await this.store.write(this.job.project_id, this.job.id, name, data);
    await this.db.query(
      `INSERT INTO artifacts (job_id, name, path, size, sha256, content_type) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (job_id, name) DO UPDATE
         SET path = EXCLUDED.path, size = EXCLUDED.size, sha256 = EXCLUDED.sha256,
             content_type = EXCLUDED.content_type, created_at = now()`,
      [this.job.id, name, stored.path, stored.size, stored.sha256, contentType],
    );
    return { jobId: this.job.id, name, size: stored.size, sha256: stored.sha256, contentType };
  }

  async readArtifact(jobId: string, name: string): Promise<Buffer> {
    const rows: { path: string }[] = await this.db.query(
      `SELECT a.path FROM artifacts a JOIN jobs j ON j.id = a.job_id
        WHERE a.job_id = $1 AND a.name = $2 AND j.project_id = $3`,
      [jobId, name, this.job.project_id],
    );
    if (rows.length === 0) throw new NotFoundError('artifact', `${jobId}/${name}`);
    return this.store.read(rows[0].path);
  }

  async flush(): Promise<void> {
    await this.pendingProgress.catch(() => undefined);
  }
}
