/**
 * Executor that runs every job as one `batch/v1` Job (Katib's trial model): a dispatch loop
 * takes queued jobs under quota and creates Jobs; informers (list + watch with
 * resourceVersion; a 410 Gone makes client-node's ListWatch relist) follow Jobs and Pods by
 * label and turn Kubernetes states into job events and retries; pod logs are streamed into job
 * events. The worker inside the pod reports progress and results through the database itself.
 *
 * Assumes one executor per `instance` label: two would both act on the same watch events. With
 * several API replicas, leader-elected-executor.ts runs it on the Lease holder only.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Executor } from '../platform/jobs/executor.port';
import { describeError } from './api-errors';
import { LABEL_JOB_ID } from './core/job-spec';
import type { DispatchedJob, DispatchQueue } from './dispatch-queue.port';
import { ExecutorState, type Clock, type ExecutorLogger } from './executor-state';
import { handleCancellations, handleTimeouts } from './job-deadlines';
import { dispatch } from './job-dispatcher';
import { JobWatcher } from './job-watcher';
import type { KubernetesExecutorConfig } from './kubernetes-config';
import { PodLogs } from './pod-logs';

export type { Clock, ExecutorLogger } from './executor-state';

export interface KubernetesExecutorDeps {
  kubeConfig: KubeConfig;
  queue: DispatchQueue;
  config: KubernetesExecutorConfig;
  clock?: Clock;
  logger?: ExecutorLogger;
}

/**
 * The executor's lifecycle (start, re-attach, stop, kill) and its loop; the parts it wires:
 * job-dispatcher.ts (quota, Job creation), job-watcher.ts (informers, what a Job's state
 * means), job-deadlines.ts (cancellation, pending timeouts), pod-logs.ts (pod output), all
 * sharing an ExecutorState (executor-state.ts).
 */
export class KubernetesExecutor implements Executor {
  readonly name = 'kubernetes' as const;
  private readonly state: ExecutorState;
  private readonly logs: PodLogs;
  private readonly watcher: JobWatcher;
  private interval?: NodeJS.Timeout;
  private reconciling?: Promise<void>;
  /** A wake-up arrived during a pass: run another one after it. */
  private rerun = false;
  private unlisten?: () => Promise<void>;

  constructor(deps: KubernetesExecutorDeps) {
    this.state = new ExecutorState(
      deps.kubeConfig,
      deps.queue,
      deps.config,
      deps.clock ?? { now: () => Date.now() },
      deps.logger ?? { warn: (m) => console.warn(`[kubernetes-executor] ${m}`) },
    );
    this.logs = new PodLogs(this.state);
    this.watcher = new JobWatcher(this.state, this.logs);
  }

  /**
   * Re-attach to the Jobs this instance created (by label), delete orphans (Jobs whose row is
   * final or missing), re-queue rows whose Job vanished, then watch and start dispatching.
   */
  async start(): Promise<void> {
    const { state } = this;
    if (state.running) return;
    state.running = true;
    try {
      await this.attach();
    } catch (err) {
      state.running = false;
      await this.watcher.stop();
      state.tracked.clear();
      state.pods.clear();
      throw err;
    }
    this.interval = setInterval(() => void this.reconcile(), state.config.dispatchIntervalMs);
    // New jobs are pushed when the queue can (PostgreSQL NOTIFY); the interval stays as fallback.
    this.unlisten = await state.queue
      .onQueued?.(() => this.wake())
      .catch((err: unknown) => {
        state.logger.warn(`queue notifications unavailable, polling only: ${describeError(err)}`);
        return undefined;
      });
  }

  private wake(): void {
    if (!this.state.running) return;
    if (this.reconciling) this.rerun = true;
    else void this.reconcile();
  }

  private async attach(): Promise<void> {
    const { state } = this;
    const rows = await state.queue.activeDispatched();
    const byName = new Map<string, DispatchedJob>();
    for (const r of rows) byName.set(r.externalId, r);
    // Every namespace it may have created Jobs in: its own and the placement namespaces.
    for (const ns of state.namespaces) {
      const [jobs, pods] = await Promise.all([
        state.batch.listNamespacedJob({ namespace: ns, labelSelector: state.selector }),
        state.core.listNamespacedPod({ namespace: ns, labelSelector: state.selector }),
      ]);
      for (const pod of pods.items) state.storePod(pod);
      for (const job of jobs.items) {
        const name = job.metadata?.name ?? '';
        const row = byName.get(name);
        if (!row) {
          await state.deleteJob(name, ns);
          continue;
        }
        const t = state.track(row, name);
        t.job = job;
        state.event(row.id, 'info', `re-attached to Kubernetes Job ${ns}/${name}`);
      }
    }
    for (const [name, row] of byName) {
      if (state.tracked.has(name)) continue;
      // Deleted by someone, or never created (the executor stopped between claim and create).
      state.serial(row.id, () =>
        state.queue.requeue(row.id, `Kubernetes Job ${name} no longer exists`),
      );
    }
    await this.watcher.start();
    for (const name of state.tracked.keys()) this.watcher.evaluate(name);
  }

  async stop(): Promise<void> {
    const { state } = this;
    if (!state.running) return;
    state.running = false;
    if (this.interval) clearInterval(this.interval);
    await this.unlisten?.();
    this.unlisten = undefined;
    await this.watcher.stop();
    this.logs.abortAll();
    await this.reconciling;
    await this.idle();
    // A later start() rebuilds this from the cluster, as a new process would.
    state.tracked.clear();
    state.pods.clear();
  }

  /** Delete the job's Kubernetes Job(s) now, pods with them (propagationPolicy Background). */
  async kill(jobId: string): Promise<void> {
    const { state } = this;
    const mine = [...state.tracked.values()].filter((t) => t.jobId === jobId);
    if (mine.length === 0) {
      for (const namespace of state.namespaces) {
        const list = await state.batch.listNamespacedJob({
          namespace,
          labelSelector: `${state.selector},${LABEL_JOB_ID}=${jobId}`,
        });
        for (const j of list.items) await state.deleteJob(j.metadata?.name ?? '', namespace);
      }
      return;
    }
    for (const t of mine) {
      t.deleting = true;
      await state.deleteJob(t.name, t.namespace);
    }
  }

  /** Resolves once every queued queue call has run (tests and shutdown). */
  idle(): Promise<void> {
    return this.state.idle();
  }

  /** One pass of the loop: cancellations, pending timeouts, then dispatch under quota. */
  async reconcile(): Promise<void> {
    if (this.reconciling) return this.reconciling;
    const evaluate = (name: string) => this.watcher.evaluate(name);
    this.reconciling = (async () => {
      try {
        await handleCancellations(this.state);
        await handleTimeouts(this.state, evaluate);
        await dispatch(this.state, evaluate);
      } catch (err) {
        this.state.logger.warn(`reconcile failed: ${describeError(err)}`);
      }
    })();
    try {
      await this.reconciling;
    } finally {
      this.reconciling = undefined;
    }
    if (this.rerun && this.state.running) {
      this.rerun = false;
      await this.reconcile();
    }
  }
}
