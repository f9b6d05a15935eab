import { ArtifactStore } from '../artifacts/artifact-store';
import { ArtifactsRepository } from '../artifacts/artifacts.repository';
import { DomainError } from '../errors/domain-error';
import { DbJobContext } from './job-context';
import { StaleAttemptError } from './job-fence';
import { JobCancelledError } from './job-handler';
import { JobHandlerRegistry } from './job-handler.registry';
import { HeartbeatThread } from './heartbeat-thread';
import { fenceOf, type JobRow } from './job-row';
import { JobsRepository } from './jobs.repository';
import { AttemptProcessGroups } from './process-groups';

export type RunOutcome = 'succeeded' | 'failed' | 'cancelled' | 'lost' | 'released';

/**
 * Runs one claimed job: heartbeats while the handler works, learns of cancellation from the
 * heartbeat, and records the outcome. A job taken away from this worker (heartbeat missed,
 * re-queued elsewhere) is given up: the handler is aborted, its process groups are killed, and
 * nothing more is written (every write is fenced by the attempt, see job-fence.ts).
 */
export class JobRunner {
  private current: { ctx: DbJobContext; interrupted: boolean } | null = null;
  private heartbeats: HeartbeatThread | null = null;

  constructor(
    private readonly queue: JobsRepository,
    private readonly artifacts: ArtifactsRepository,
    private readonly store: ArtifactStore,
    private readonly registry: JobHandlerRegistry,
    private readonly heartbeatMs: number,
    /** With it, heartbeats run on their own thread (see heartbeat-thread.ts). */
    private readonly databaseUrl?: string,
    /** Pool workers record their jobs' process groups here for the supervisor (process-groups.ts). */
    private readonly processGroupDir: string | null = null,
  ) {
    // Started with the worker rather than at its first claim: loading the thread (a compile,
    // when running from TypeScript source) never delays the first heartbeat of a claimed job.
    if (databaseUrl) this.heartbeats = new HeartbeatThread(databaseUrl, heartbeatMs);
  }

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
    const fence = fenceOf(job, workerId);
    const groups = new AttemptProcessGroups(fence, this.processGroupDir);
    const ctx = new DbJobContext(job, fence, this.queue, this.artifacts, this.store, groups);
    const state = { ctx, interrupted: false };
    this.current = state;
    if (job.cancel_requested_at) ctx.requestCancel();
    const stopHeartbeat = this.startHeartbeat(ctx);
    try {
      return await this.runHandler(job, ctx, state);
    } catch (error) {
      // A write of the outcome itself was refused: the job is someone else's now.
      if (error instanceof StaleAttemptError) return 'lost';
      throw error;
    } finally {
      await stopHeartbeat();
      groups.killAll();
      this.current = null;
    }
  }

  private async runHandler(
    job: JobRow,
    ctx: DbJobContext,
    state: { interrupted: boolean },
  ): Promise<RunOutcome> {
    const fence = ctx.fence;
    try {
      const handler = this.registry.get(job.kind);
      const spec = handler.validate(job.spec);
      const result = await handler.run(spec, ctx);
      await ctx.flush();
      if (ctx.lost) return 'lost';
      if (state.interrupted) return this.release(ctx);
      const finished = await this.queue.finish(fence, 'succeeded', { result: result ?? null });
      return finished ? 'succeeded' : 'lost';
    } catch (error) {
      await ctx.flush();
      if (ctx.lost || error instanceof StaleAttemptError) return 'lost';
      if (state.interrupted) return this.release(ctx);
      if (ctx.cancelled && (error instanceof JobCancelledError || isAbortError(error))) {
        const finished = await this.queue.finish(fence, 'cancelled', {});
        return finished ? 'cancelled' : 'lost';
      }
      const message = errorMessage(error);
      if (!(error instanceof DomainError) && error instanceof Error && error.stack) {
        await this.queue.event(fence, 'log', 'error', error.stack).catch((e: unknown) => {
          if (e instanceof StaleAttemptError) throw e;
        });
      }
      const finished = await this.queue.finish(fence, 'failed', { error: message });
      return finished ? 'failed' : 'lost';
    }
  }

  private startHeartbeat(ctx: DbJobContext): () => Promise<void> {
    const fence = ctx.fence;
    if (this.databaseUrl) {
      this.heartbeats ??= new HeartbeatThread(this.databaseUrl, this.heartbeatMs);
      const beat = this.heartbeats.track(fence);
      // Polled where handlers look (ctx.cancelled) and on a timer for those waiting on I/O.
      const sync = () => {
        if (beat.lost) ctx.markLost();
        if (beat.cancelRequested) ctx.requestCancel();
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
        .heartbeat(fence)
        .then((hb) => {
          if (hb === null) ctx.markLost();
          else if (hb.cancelRequested) ctx.requestCancel();
        })
        .catch(() => undefined)
        .finally(() => (beating = false));
    }, this.heartbeatMs);
    return async () => clearInterval(timer);
  }

  private async release(ctx: DbJobContext): Promise<RunOutcome> {
    return (await this.queue.release(ctx.fence)) ? 'released' : 'lost';
  }
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
