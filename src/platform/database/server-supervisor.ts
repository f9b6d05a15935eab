import { setTimeout as sleep } from 'node:timers/promises';

/** What the supervisor watches: a started server process. */
export interface ServerProcess {
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  once(
    event: 'exit',
    listener: (code: number | null, signal: NodeJS.Signals | null) => void,
  ): unknown;
}

export interface ServerSupervisorOptions {
  /** Starts the server; resolves once it accepts connections, with its process. */
  start: () => Promise<ServerProcess>;
  /** Waits before each restart attempt; when all failed, the supervisor gives up. */
  restartDelaysMs: readonly number[];
  log: (message: string) => void;
  /** Called once restarts are exhausted (the service then exits non-zero). */
  onGiveUp: (error: unknown) => void;
}

/**
 * Keeps a local server process running: when it exits while not being stopped, it is started
 * again after each delay in turn until a start succeeds; after the last failure `onGiveUp` runs
 * (the caller exits the service with a non-zero status, so a process manager restarts all of
 * it: systemd's Restart=, Kubernetes' restartPolicy). The backoff leaves time for what the dead
 * server left behind (PostgreSQL refuses to start while backends of the killed postmaster still
 * hold its shared memory).
 */
export class ServerSupervisor {
  private current: ServerProcess | null = null;
  private stopping = false;
  private restarting: Promise<void> | null = null;
  private readonly stopped = new AbortController();

  constructor(private readonly options: ServerSupervisorOptions) {}

  /** First start; a failure here is the caller's (the service cannot start at all). */
  async start(): Promise<void> {
    this.watch(await this.options.start());
  }

  /** The running process, or null while it is down or being restarted. */
  get process(): ServerProcess | null {
    const p = this.current;
    return p && p.exitCode === null && p.signalCode === null ? p : null;
  }

  /** Stop supervising (the caller then stops the server); waits for a restart in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    await this.restarting;
  }

  private watch(child: ServerProcess): void {
    this.current = child;
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      this.options.log(`the server exited (${signal ?? `code ${code}`}); restarting it`);
      this.restarting = this.restart().finally(() => (this.restarting = null));
    });
  }

  private async restart(): Promise<void> {
    let lastError: unknown = new Error('no restart attempted');
    for (const [i, delay] of this.options.restartDelaysMs.entries()) {
      await sleep(delay, undefined, { signal: this.stopped.signal }).catch(() => undefined);
      if (this.stopping) return;
      try {
        this.watch(await this.options.start());
        this.options.log(`the server is back after ${i + 1} restart attempt(s)`);
        return;
      } catch (error) {
        lastError = error;
        this.options.log(`restart attempt ${i + 1} failed: ${String(error)}`);
      }
    }
    if (!this.stopping) this.options.onGiveUp(lastError);
  }
}
