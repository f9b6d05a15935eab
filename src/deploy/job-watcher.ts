/**
 * Informers (list + watch with resourceVersion; a 410 Gone makes client-node's ListWatch
 * relist) on the executor's Jobs and Pods, by label, and what a change of the (Job, Pod)
 * observation of a tracked Job means for its job: events, retries, failures.
 */
import { makeInformer, type Informer, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { describeError } from './api-errors';
import { observe, observationKey } from './core/observe';
import type { PodView } from './core/k8s-types';
import { podOwner, type ExecutorState, type Tracked } from './executor-state';
import type { PodLogs } from './pod-logs';

export class JobWatcher {
  private informers: Informer<V1Job | V1Pod>[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly state: ExecutorState,
    private readonly logs: PodLogs,
  ) {}

  async start(): Promise<void> {
    // One pair of informers per namespace the executor may have Jobs in (its own and the
    // placement namespaces): the Role of each grants exactly list/watch there.
    for (const ns of this.state.namespaces) await this.watchNamespace(ns);
  }

  private async watchNamespace(ns: string): Promise<void> {
    const { state } = this;
    const pods = makeInformer<V1Pod>(
      state.kubeConfig,
      `/api/v1/namespaces/${ns}/pods`,
      () => state.core.listNamespacedPod({ namespace: ns, labelSelector: state.selector }),
      state.selector,
    );
    pods.on('add', (p) => this.onPod(p));
    pods.on('update', (p) => this.onPod(p));
    pods.on('delete', (p) => this.onPodDeleted(p));
    const jobs = makeInformer<V1Job>(
      state.kubeConfig,
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      () => state.batch.listNamespacedJob({ namespace: ns, labelSelector: state.selector }),
      state.selector,
    );
    jobs.on('add', (j) => this.onJob(j));
    jobs.on('update', (j) => this.onJob(j));
    jobs.on('delete', (j) => this.onJobDeleted(j));
    for (const inf of [pods, jobs] as Informer<V1Job | V1Pod>[]) {
      // ListWatch relists by itself on 410 Gone and re-watches when the server closes the
      // stream; other errors (connection refused, 5xx) stop it, so we restart it after a pause.
      inf.on('error', (err?: unknown) => {
        if (!state.running) return;
        state.logger.warn(
          `watch of ${ns} failed, retrying in ${state.config.watchRetryMs} ms: ${describeError(err)}`,
        );
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (state.running) void inf.start();
        }, state.config.watchRetryMs);
        this.timers.add(timer);
      });
      this.informers.push(inf);
      await inf.start();
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.informers.map((i) => i.stop()));
    this.informers = [];
  }

  /** Act on a change of the (Job, Pod) observation of one tracked Job. */
  evaluate(name: string): void {
    const { state } = this;
    const { queue } = state;
    const t = state.tracked.get(name);
    if (!t || t.settled || t.deleting) return;
    const pods = [...(state.pods.get(name)?.values() ?? [])];
    const pod = pods[pods.length - 1];
    if (pod) t.podSeen = true;
    if (t.indexed) return this.evaluateIndexed(t, pods);
    const o = observe(t.job, pod);
    if (!o) return;
    if (o.state === 'failed' && o.reason === 'Error' && !t.podSeen) {
      // The Job watch ran ahead of the pod watch: wait for the pod, whose status says why it
      // failed (OOMKilled, Evicted ...). handleTimeouts settles it if the pod never shows up.
      t.failedWithoutPodSince ??= state.clock.now();
      return;
    }
    const key = observationKey(o);
    if (key === t.lastKey) return;
    t.lastKey = key;
    const podName = pod?.metadata?.name;
    switch (o.state) {
      case 'pending':
        if (t.pendingReason !== o.reason) {
          t.pendingReason = o.reason;
          t.pendingSince = state.clock.now();
        }
        state.serial(t.jobId, () => queue.markPending(t.jobId, `${o.reason}: ${o.message}`));
        return;
      case 'running':
        t.running = true;
        state.serial(t.jobId, () => queue.markRunning(t.jobId, o.message));
        if (podName) this.logs.stream(t, podName);
        return;
      case 'succeeded':
        // The worker recorded the result in the database before exiting 0; nothing to change.
        t.settled = true;
        if (podName) this.logs.stream(t, podName);
        state.event(t.jobId, 'info', `Kubernetes Job ${name} succeeded`);
        return;
      case 'failed': {
        t.settled = true;
        if (podName) this.logs.stream(t, podName);
        const hint =
          o.reason === 'OOMKilled'
            ? ` (memory limit ${t.resources.memory}; raise resources.memory if it repeats)`
            : '';
        const reason = `${o.reason}: ${o.message}${hint}`;
        state.event(t.jobId, 'warn', `Kubernetes Job ${name} failed: ${reason}`);
        // A worker that failed the job itself already made the row final; requeue is then a no-op.
        state.serial(t.jobId, () =>
          o.retryable ? queue.requeue(t.jobId, reason) : queue.fail(t.jobId, reason),
        );
        return;
      }
    }
  }

  /**
   * An Indexed Job: its pods do not claim the row (each runs its index's part), so the row
   * follows the Job: running once a pod runs, succeeded when the Job is Complete (every index
   * succeeded), failed with the failed indexes when it is Failed. No re-queue: the work's own
   * rule decides what a failed index means (a federation's quorum).
   */
  private evaluateIndexed(t: Tracked, pods: PodView[]): void {
    const { state } = this;
    const { queue } = state;
    const status = t.job?.status;
    const finished = status?.conditions?.find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    for (const p of pods)
      if (p.status?.phase === 'Running') this.logs.stream(t, p.metadata?.name ?? '');
    if (!finished) {
      const running = pods.filter((p) => p.status?.phase === 'Running').length;
      if (running > 0 && !t.running) {
        t.running = true;
        state.serial(t.jobId, () =>
          queue.markRunning(t.jobId, `${running} of the Indexed Job's pods running`),
        );
      }
      return;
    }
    t.settled = true;
    for (const p of pods) this.logs.stream(t, p.metadata?.name ?? '');
    const counts = `completed indexes "${status?.completedIndexes ?? ''}"`;
    if (finished.type === 'Complete') {
      state.event(t.jobId, 'info', `Kubernetes Job ${t.namespace}/${t.name} complete (${counts})`);
      state.serial(t.jobId, () =>
        queue.succeedIndexed
          ? queue.succeedIndexed(t.jobId, `Indexed Job complete: ${counts}`)
          : queue.fail(t.jobId, 'this queue cannot finish Indexed Jobs'),
      );
      return;
    }
    const reason = `${finished.reason ?? 'Failed'}: failed indexes "${status?.failedIndexes ?? '?'}", ${counts}`;
    state.event(t.jobId, 'warn', `Kubernetes Job ${t.namespace}/${t.name} failed: ${reason}`);
    state.serial(t.jobId, () => queue.fail(t.jobId, reason));
  }

  private onJob(job: V1Job): void {
    const name = job.metadata?.name ?? '';
    const t = this.state.tracked.get(name);
    if (!t) return;
    t.job = job;
    this.evaluate(name);
  }

  private onJobDeleted(job: V1Job): void {
    const { state } = this;
    const name = job.metadata?.name ?? '';
    const t = state.tracked.get(name);
    state.tracked.delete(name);
    state.pods.delete(name);
    if (!t || t.settled || t.deleting) return;
    t.settled = true;
    state.serial(t.jobId, () =>
      state.queue.requeue(t.jobId, `Kubernetes Job ${name} was deleted outside AutoDL`),
    );
  }

  private onPod(pod: V1Pod): void {
    const owner = this.state.storePod(pod);
    if (owner) this.evaluate(owner);
  }

  private onPodDeleted(pod: V1Pod): void {
    const owner = podOwner(pod);
    if (!owner) return;
    this.state.pods.get(owner)?.delete(pod.metadata?.name ?? '');
    this.evaluate(owner);
  }
}
