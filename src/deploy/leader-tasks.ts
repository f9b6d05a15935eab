/**
 * The singletons that run beside the Kubernetes executor on the elected leader only (today the
 * custom-resource operator): registered by their modules at init, started after the executor
 * when this replica starts leading, stopped before it when leadership is lost or the process
 * stops. Without leader election they simply follow the executor's start and stop.
 */
import { Injectable } from '@nestjs/common';
import type { Executor } from '../platform/jobs/executor.port';

export interface LeaderTask {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

@Injectable()
export class LeaderTasks {
  private readonly tasks: LeaderTask[] = [];

  add(task: LeaderTask): void {
    this.tasks.push(task);
  }

  get names(): string[] {
    return this.tasks.map((t) => t.name);
  }

  async startAll(): Promise<void> {
    for (const t of this.tasks) await t.start();
  }

  /** In reverse order; one task failing to stop does not keep the others running. */
  async stopAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const t of [...this.tasks].reverse()) await t.stop().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw errors[0];
  }
}

/** The executor with the leader's tasks: they start after it and stop before it. */
export function withLeaderTasks(inner: Executor, tasks: LeaderTasks): Executor {
  return {
    name: inner.name,
    async start() {
      await inner.start();
      try {
        await tasks.startAll();
      } catch (err) {
        await tasks.stopAll().catch(() => undefined);
        await inner.stop();
        throw err;
      }
    },
    async stop() {
      try {
        await tasks.stopAll();
      } finally {
        await inner.stop();
      }
    },
    kill: (jobId) => inner.kill(jobId),
  };
}
