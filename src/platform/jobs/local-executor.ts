import { ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import { Executor } from './executor.port';
import type { JobsRepository } from './jobs.repository';
import { workerPid } from './worker-id';
import { sourceExecArgv } from '../runtime/source-thread';
import { killWorkerGroups, reapOrphanGroups } from './process-groups';
import type { JobLane } from './job-handler';
import type { SupervisorMessage, WorkerMessage } from './worker-loop';

export interface LocalExecutorOptions {
  /** Compute workers: they run the work itself, one job each at a time. */
  workers: number;
  /** Coordinator workers: they run drivers (studies, NAS runs) that wait on child jobs. */
  coordinators?: number;
  databaseUrl: string;
  heartbeatTimeoutMs: number;
  cancelGraceMs: number;
  /** Extra environment for the worker processes. */
  env?: Record<string, string>;
  /** Where workers record their jobs' process groups (process-groups.ts): `<AUTODL_HOME>/run`. */
  processGroupDir: string;
  log: (message: string) => void;
}

interface Slot {
  lane: JobLane;
  child: ChildProcess;
  workerId: string | null;
  jobId: string | null;
  restarts: number;
}

/** The worker entry beside this build: src/worker.ts from source, dist/worker.js when built. */
export function workerEntry(): string {
  return path.resolve(__dirname, '..', '..', `worker${path.extname(__filename)}`);
}

/**
 * Local executor: a pool of long-lived worker processes on this host (`worker pool`). The
 * heavy work runs there, never on the API's event loop. The supervisor respawns a worker that
 * died and at once gives its job back to the queue (it resumes from its checkpoint); it kills a
 * worker whose job ignored a cancellation for longer than the grace period; and it re-queues
 * jobs of any host whose heartbeat went stale. Process groups a job started (command trials)
 * die with its attempt: the supervisor kills those a dead worker recorded before giving its job
 * back, those of a stale attempt of this host when it re-queues it, and at start those left by
 * workers of an earlier run of the service.
 */
export class LocalExecutor implements Executor {
  readonly name = 'local' as const;
  private readonly slots = new Set<Slot>();
  private stopping = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly queue: JobsRepository,
    private readonly options: LocalExecutorOptions,
  ) {}

  async start(): Promise<void> {
    const reaped = reapOrphanGroups(this.options.processGroupDir, (id) => isAlive(workerPid(id)));
    if (reaped > 0) this.options.log(`killed ${reaped} process group(s) left by dead workers`);
    for (let i = 0; i < this.options.workers; i++) this.spawn('compute', 0);
    for (let i = 0; i < (this.options.coordinators ?? 0); i++) this.spawn('coordinator', 0);
    this.timers.push(setInterval(() => void this.enforceCancellations(), 500));
    this.timers.push(
      setInterval(() => void this.reap(), Math.max(250, this.options.heartbeatTimeoutMs / 2)),
    );
  }

  /** Pids of the pool's worker processes, with their lane and the job each one runs. */
  workers(): { pid: number; lane: JobLane; jobId: string | null }[] {
    return [...this.slots].map((s) => ({ pid: s.child.pid ?? -1, lane: s.lane, jobId: s.jobId }));
  }

  async kill(jobId: string): Promise<void> {
    for (const slot of this.slots) if (slot.jobId === jobId) slot.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    const exits = [...this.slots].map(
      (slot) =>
        new Promise<void>((resolve) => {
          if (slot.child.exitCode !== null || slot.child.signalCode !== null) return resolve();
          const force = setTimeout(() => slot.child.kill('SIGKILL'), 10_000);
          slot.child.once('exit', () => {
            clearTimeout(force);
            resolve();
          });
          slot.child.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
  }

  private spawn(lane: JobLane, restarts: number): void {
    const entry = workerEntry();
    // Running from TypeScript source (tests, `npm run start:dev`): children need the loader.
    const execArgv = sourceExecArgv(entry);
    const child = fork(entry, ['pool', lane], {
      execArgv,
      env: { ...process.env, ...this.options.env, DATABASE_URL: this.options.databaseUrl },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const slot: Slot = { lane, child, workerId: null, jobId: null, restarts };
    this.slots.add(slot);
    child.on('message', (message: WorkerMessage) => {
      slot.workerId = message.workerId;
      if (message.type === 'claimed') slot.jobId = message.jobId;
      if (message.type === 'idle') slot.jobId = null;
      // A new worker learns the load at once; the others whenever a job starts or ends.
      this.broadcastLoad();
    });
    child.on('exit', (code, signal) => void this.onExit(slot, code, signal));
  }

  /**
   * Tells every compute worker how many others run a job now (its training jobs' `auto` threads
   * take the cores left free). Best effort: a job claimed in the same instant may see a stale
   * count, which changes its speed only, never its result (the shards are fixed).
   */
  private broadcastLoad(): void {
    const slots = [...this.slots];
    slots.forEach((slot, i) => {
      if (slot.lane !== 'compute' || !slot.child.connected) return;
      const message: SupervisorMessage = {
        type: 'pool-load',
        busyElsewhere: busyElsewhere(slots, i),
      };
      slot.child.send(message, (err) => {
        if (err) this.options.log(`could not tell worker ${slot.child.pid} the pool load: ${err}`);
      });
    });
  }

  private async onExit(
    slot: Slot,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): Promise<void> {
    this.slots.delete(slot);
    if (slot.jobId !== null && slot.lane === 'compute') this.broadcastLoad();
    if (slot.workerId) {
      // Before the job goes back to the queue: its retry must be the only running copy.
      const killed = killWorkerGroups(this.options.processGroupDir, slot.workerId);
      if (killed > 0)
        this.options.log(`killed ${killed} process group(s) of dead worker ${slot.child.pid}`);
    }
    if (slot.jobId && slot.workerId) {
      const reason = `worker process ${slot.child.pid} exited (${signal ?? `code ${code}`})`;
      await this.queue
        .releaseLost(reason, { jobId: slot.jobId, workerId: slot.workerId })
        .catch((e) => this.options.log(`could not release job ${slot.jobId}: ${String(e)}`));
    }
    if (this.stopping) return;
    // Back off a crash-looping worker (e.g. the database is down), up to 10 s.
    const delay = Math.min(10_000, 100 * 2 ** Math.min(slot.restarts, 7));
    this.options.log(
      `worker ${slot.child.pid} exited (${signal ?? code}); restarting in ${delay} ms`,
    );
    setTimeout(
      () => !this.stopping && this.spawn(slot.lane, slot.jobId ? 0 : slot.restarts + 1),
      delay,
    );
  }

  private async enforceCancellations(): Promise<void> {
    const ids = [...this.slots].map((s) => s.workerId).filter((w): w is string => w !== null);
    const overdue = await this.queue
      .overdueCancellations(ids, this.options.cancelGraceMs)
      .catch(() => []);
    for (const job of overdue) {
      const pid = workerPid(job.worker_id);
      const slot = [...this.slots].find((s) => s.child.pid === pid);
      this.options.log(`job ${job.id} ignored its cancellation; killing worker ${pid}`);
      slot?.child.kill('SIGKILL');
    }
  }

  private async reap(): Promise<void> {
    const lost = await this.queue
      .releaseLost('heartbeat lost', { staleMs: this.options.heartbeatTimeoutMs })
      .catch(() => []);
    if (lost.length > 0) this.options.log(`re-queued ${lost.length} job(s) with a stale heartbeat`);
    // A stale worker of this host (paused, hung) may still have trial processes running: they
    // must not run beside the retry. The worker itself gives the job up once it runs again.
    for (const attempt of lost) {
      if (workerPid(attempt.workerId) === null) continue;
      killWorkerGroups(
        this.options.processGroupDir,
        attempt.workerId,
        (e) => e.jobId === attempt.jobId && e.attempt === attempt.attempt,
      );
    }
  }
}

/** Compute workers other than slots[self] that run a job now (what `auto` threads leave them). */
export function busyElsewhere(
  slots: readonly { lane: JobLane; jobId: string | null }[],
  self: number,
): number {
  return slots.filter((s, i) => i !== self && s.lane === 'compute' && s.jobId !== null).length;
}

function isAlive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}
