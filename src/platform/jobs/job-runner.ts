import { DataSource } from 'typeorm';
import { ArtifactStore } from '../artifacts/artifact-store';
import { DomainError } from '../errors/domain-error';
import { DbJobContext } from './job-context';
import { JobCancelledError } from './job-handler';
import { JobHandlerRegistry } from './job-handler.registry';
import { HeartbeatThread } from './heartbeat-thread';
import { JobQueue, JobRow } from './job-queue';

export type RunOutcome = 'succeeded' | 'failed' | 'cancelled' | 'lost' | 'released';

/**
 * Runs one claimed job: heartbeats while the handler works, learns of cancellation from the
 * heartbeat, and records the outcome. A job taken away from this worker (heartbeat missed,
 * re-queued elsewhere) is abandoned without writing anything.
 */
export class JobRunner {
  private current: { ctx: DbJobContext; interrupted: boolean } | null = null;
  private heartbeats: HeartbeatThread | null = null;

  constructor(
    private readonly queue: JobQueue,
    private readonly db: DataSource,
    private readonly store: ArtifactStore,
    private readonly registry: JobHandlerRegistry,
    private readonly heartbeatMs: number,
    /** With it, heartbeats run on their own thread (see heartbeat-thread.ts). */
    private readonly databaseUrl?: string,
  ) {}

  /** Stops the heartbeat thread (at process shutdown). */
  async close(): Promise<void> {
    await this.heartbeats?.close();
    this.heartbeats = null;
  }

  /** Stop the running job and give it back to the queue without using up an attempt. */
  interrupt(): void {
    if (!this.current) return;
    this.current.interrupted = true;
    this.current.ctx.requestCancel();
  }

  async run(job: JobRow, workerId: string): Promise<RunOutcome> {
    const ctx = new DbJobContext(job, workerId, this.queue, this.db, this.store);
    const state = { ctx, interrupted: false, lost: false };
    this.current = state;
    if (job.cancel_requested_at) ctx.requestCancel();
    const stopHeartbeat = this.startHeartbeat(job, workerId, ctx, state);
    try {
      const handler = this.registry.get(job.kind);
      const spec = handler.validate(job.spec);
      const result = await handler.run(spec, ctx);
      await ctx.flush();
      if (state.lost) return 'lost';
      if (state.interrupted) return this.release(job, workerId);
      await this.queue.finish(job.id, workerId, 'succeeded', { result: result ?? null });
      return 'succeeded';
    } catch (error) {
      await ctx.flush();
      if (state.lost) return 'lost';
      if (state.interrupted) return this.release(job, workerId);
      if (ctx.cancelled && (error instanceof JobCancelledError || isAbortError(error))) {
        await this.queue.finish(job.id, workerId, 'cancelled', {});
        return 'cancelled';
      }
      const message = errorMessage(error);
      if (!(error instanceof DomainError) && error instanceof Error && error.stack) {
        await this.queue
          .event(job.id, 'log', 'error', error.stack, job.attempts)
          .catch(() => undefined);
      }
      await this.queue.finish(job.id, workerId, 'failed', { error: message });
      return 'failed';
    } finally {
      await stopHeartbeat();
      this.current = null;
    }
  }

  private startHeartbeat(
    job: JobRow,
    workerId: string,
    ctx: DbJobContext,
    state: { lost: boolean },
  ): () => Promise<void> {
    if (this.databaseUrl) {
      this.heartbeats ??= new HeartbeatThread(this.databaseUrl, this.heartbeatMs);
      const beat = this.heartbeats.track(job.id, workerId);
      // Polled where handlers look (ctx.cancelled) and on a timer for those waiting on I/O.
      const sync = () => {
        if (beat.lost) state.lost = true;
        if (beat.lost || beat.cancelRequested) ctx.requestCancel();
        return beat.lost || beat.cancelRequested;
      };
      ctx.setCancelProbe(sync);
      const timer = setInterval(sync, Math.min(250, this.heartbeatMs));
      return async () => {
        clearInterval(timer);
        beat.stop();
      };
    }
    // In-process heartbeats: enough for handlers that yield to the event loop.
    let beating = false;
    const timer = setInterval(() => {
      if (beating) return;
      beating = true;
      this.queue
        .heartbeat(job.id, workerId)
        .then((hb) => {
          if (hb === null) {
            state.lost = true;
            ctx.requestCancel();
          } else if (hb.cancelRequested) {
            ctx.requestCancel();
          }
        })
        .catch(() => undefined)
        .finally(() => (beating = false));
    }, this.heartbeatMs);
    return async () => clearInterval(timer);
  }

  private async release(job: JobRow, workerId: string): Promise<RunOutcome> {
    await this.db.query(
      `WITH r AS (
         UPDATE jobs SET status = 'queued', attempts = GREATEST(attempts - 1, 0), worker_id = NULL,
                heartbeat_at = NULL, updated_at = now()
          WHERE id = $1 AND worker_id = $2 AND status = 'running' RETURNING id, attempts)
       INSERT INTO job_events (job_id, type, level, message, attempt)
       SELECT id, 'status', 'warn', 'queued: worker shut down, job released', attempts FROM r`,
      [job.id, workerId],
    );
    return 'released';
  }
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
