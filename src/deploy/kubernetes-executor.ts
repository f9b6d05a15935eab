/**
 * Executor that runs every job as one `batch/v1` Job (Katib's trial model): a dispatch loop
 * takes queued jobs under quota and creates Jobs; informers (list + watch with
 * resourceVersion; a 410 Gone makes client-node's ListWatch relist) follow Jobs and Pods by
 * label and turn Kubernetes states into job events and retries; pod logs are streamed into job
 * events. The worker inside the pod reports progress and results through the database itself.
 *
 * Assumes one executor per `instance` label (the API Deployment's executor replica): two would
 * both act on the same watch events.
 */
import { Writable } from 'node:stream';
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  Log,
  makeInformer,
  type Informer,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Executor } from '../platform/jobs/executor.port';
import {
  buildJobManifest,
  managedSelector,
  resolveResources,
  LABEL_JOB_ID,
  WORKER_CONTAINER,
  type JobToDispatch,
  type ResourceRequest,
} from './core/job-spec';
import type { JobView, PodView } from './core/k8s-types';
import { observe, observationKey, type PendingReason } from './core/observe';
import { admit } from './core/quota';
import type { DispatchedJob, DispatchQueue, EventLevel } from './dispatch-queue.port';
import type { KubernetesExecutorConfig } from './kubernetes-config';

export interface Clock {
  now(): number;
}

export interface ExecutorLogger {
  warn(message: string): void;
}

export interface KubernetesExecutorDeps {
  kubeConfig: KubeConfig;
  queue: DispatchQueue;
  config: KubernetesExecutorConfig;
  clock?: Clock;
  logger?: ExecutorLogger;
}

/** One Kubernetes Job this executor created (one attempt of one job). */
interface Tracked {
  jobId: string;
  projectId: string;
  name: string;
  resources: ResourceRequest;
  job?: JobView;
  lastKey?: string;
  pendingReason?: PendingReason;
  pendingSince?: number;
  running: boolean;
  /** The outcome was handed to the queue; later events of this Job are ignored. */
  settled: boolean;
  /** We deleted the Job (cancel, kill, timeout); its pod's end is not a failure. */
  deleting: boolean;
  cancelSince?: number;
  logPods: Set<string>;
  podSeen: boolean;
  failedWithoutPodSince?: number;
}

/** How long a failed Job waits for its pod's status before it is settled without it. */
const POD_WAIT_MS = 30_000;

/** Longest pod log line kept in a job event; longer lines are cut (a progress bar, a tensor dump). */
const MAX_LOG_LINE = 4000;

export class KubernetesExecutor implements Executor {
  readonly name = 'kubernetes' as const;
  private readonly kubeConfig: KubeConfig;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly logs: Log;
  private readonly queue: DispatchQueue;
  private readonly config: KubernetesExecutorConfig;
  private readonly clock: Clock;
  private readonly logger: ExecutorLogger;
  private readonly selector: string;
  private readonly tracked = new Map<string, Tracked>();
  private readonly pods = new Map<string, Map<string, PodView>>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly logStreams = new Set<AbortController>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private informers: Informer<V1Job | V1Pod>[] = [];
  private interval?: NodeJS.Timeout;
  private reconciling?: Promise<void>;
  /** A wake-up arrived during a pass: run another one after it. */
  private rerun = false;
  private unlisten?: () => Promise<void>;
  private running = false;

  constructor(deps: KubernetesExecutorDeps) {
    this.batch = deps.kubeConfig.makeApiClient(BatchV1Api);
    this.core = deps.kubeConfig.makeApiClient(CoreV1Api);
    this.logs = new Log(deps.kubeConfig);
    this.queue = deps.queue;
    this.config = deps.config;
    this.clock = deps.clock ?? { now: () => Date.now() };
    this.logger = deps.logger ?? { warn: (m) => console.warn(`[kubernetes-executor] ${m}`) };
    this.selector = managedSelector(deps.config.instance);
    this.kubeConfig = deps.kubeConfig;
  }

  /**
   * Re-attach to the Jobs this instance created (by label), delete orphans (Jobs whose row is
   * final or missing), re-queue rows whose Job vanished, then watch and start dispatching.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.attach();
    } catch (err) {
      this.running = false;
      await Promise.all(this.informers.map((i) => i.stop()));
      this.informers = [];
      this.tracked.clear();
      this.pods.clear();
      throw err;
    }
    this.interval = setInterval(() => void this.reconcile(), this.config.dispatchIntervalMs);
    // New jobs are pushed when the queue can (PostgreSQL NOTIFY); the interval stays as fallback.
    this.unlisten = await this.queue
      .onQueued?.(() => this.wake())
      .catch((err: unknown) => {
        this.logger.warn(`queue notifications unavailable, polling only: ${describeError(err)}`);
        return undefined;
      });
  }

  private wake(): void {
    if (!this.running) return;
    if (this.reconciling) this.rerun = true;
    else void this.reconcile();
  }

  private async attach(): Promise<void> {
    const ns = this.config.namespace;
    const rows = await this.queue.activeDispatched();
    const byName = new Map<string, DispatchedJob>();
    for (const r of rows) byName.set(r.externalId, r);
    const [jobs, pods] = await Promise.all([
      this.batch.listNamespacedJob({ namespace: ns, labelSelector: this.selector }),
      this.core.listNamespacedPod({ namespace: ns, labelSelector: this.selector }),
    ]);
    for (const pod of pods.items) this.storePod(pod);
    for (const job of jobs.items) {
      const name = job.metadata?.name ?? '';
      const row = byName.get(name);
      if (!row) {
        await this.deleteJob(name);
        continue;
      }
      const t = this.track(row, name);
      t.job = job;
      this.event(row.id, 'info', `re-attached to Kubernetes Job ${ns}/${name}`);
    }
    for (const [name, row] of byName) {
      if (this.tracked.has(name)) continue;
      // Deleted by someone, or never created (the executor stopped between claim and create).
      this.serial(row.id, () =>
        this.queue.requeue(row.id, `Kubernetes Job ${name} no longer exists`),
      );
    }
    await this.startInformers();
    for (const name of this.tracked.keys()) this.evaluate(name);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.interval) clearInterval(this.interval);
    await this.unlisten?.();
    this.unlisten = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.informers.map((i) => i.stop()));
    this.informers = [];
    for (const c of this.logStreams) c.abort();
    this.logStreams.clear();
    await this.reconciling;
    await this.idle();
    // A later start() rebuilds this from the cluster, as a new process would.
    this.tracked.clear();
    this.pods.clear();
  }

  /** Delete the job's Kubernetes Job(s) now, pods with them (propagationPolicy Background). */
  async kill(jobId: string): Promise<void> {
    const mine = [...this.tracked.values()].filter((t) => t.jobId === jobId);
    if (mine.length === 0) {
      const list = await this.batch.listNamespacedJob({
        namespace: this.config.namespace,
        labelSelector: `${this.selector},${LABEL_JOB_ID}=${jobId}`,
      });
      for (const j of list.items) await this.deleteJob(j.metadata?.name ?? '');
      return;
    }
    for (const t of mine) {
      t.deleting = true;
      await this.deleteJob(t.name);
    }
  }

  /** Resolves once every queued queue call has run (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  /** One pass of the loop: cancellations, pending timeouts, then dispatch under quota. */
  async reconcile(): Promise<void> {
    if (this.reconciling) return this.reconciling;
    this.reconciling = (async () => {
      try {
        await this.handleCancellations();
        await this.handleTimeouts();
        await this.dispatch();
      } catch (err) {
        this.logger.warn(`reconcile failed: ${describeError(err)}`);
      }
    })();
    try {
      await this.reconciling;
    } finally {
      this.reconciling = undefined;
    }
    if (this.rerun && this.running) {
      this.rerun = false;
      await this.reconcile();
    }
  }

  // ---- dispatch ---------------------------------------------------------------------------

  private occupying(): Tracked[] {
    return [...this.tracked.values()].filter((t) => !t.settled);
  }

  private async dispatch(): Promise<void> {
    const active = this.occupying();
    if (active.length >= this.config.maxConcurrentJobs) return;
    const queued = await this.queue.listQueued(this.config.dispatchBatch);
    const candidates: (JobToDispatch & { gpu: number; resolved: ResourceRequest })[] = [];
    for (const q of queued) {
      let resolved: ResourceRequest;
      try {
        resolved = resolveResources(q, this.config);
      } catch (err) {
        await this.refuse(q, `invalid resource request: ${describeError(err)}`);
        continue;
      }
      if (resolved.gpu > this.config.maxGpusPerProject) {
        await this.refuse(
          q,
          `requests ${resolved.gpu} GPUs, more than the per-project quota of ${this.config.maxGpusPerProject}`,
        );
        continue;
      }
      candidates.push({ ...q, gpu: resolved.gpu, resolved });
    }
    const usage = active.map((t) => ({ projectId: t.projectId, gpu: t.resources.gpu }));
    for (const c of admit(candidates, usage, this.config)) {
      if (!this.running) return;
      await this.launch(c, c.resolved);
    }
  }

  /** A request no Job can satisfy fails at once (it was never taken, so no Job exists). */
  private async refuse(job: JobToDispatch, reason: string): Promise<void> {
    await this.queue.fail(job.id, reason);
  }

  private async launch(job: JobToDispatch, resources: ResourceRequest): Promise<void> {
    const manifest = buildJobManifest(job, this.config);
    const name = manifest.metadata.name;
    if (!(await this.queue.claim(job, name))) return;
    // Tracked before the create call: the watch may report the Job before the call returns.
    this.track({ ...job, externalId: name, status: 'queued' }, name, resources);
    try {
      await this.batch.createNamespacedJob({
        namespace: this.config.namespace,
        body: manifest as V1Job,
      });
    } catch (err) {
      // 409: this attempt's Job exists (created just before a crash): adopt it.
      if (!(err instanceof ApiException && err.code === 409)) {
        this.tracked.delete(name);
        const code = err instanceof ApiException ? err.code : 0;
        const reason = `Kubernetes refused Job ${name}: ${describeError(err)}`;
        this.serial(job.id, () =>
          code === 400 || code === 422
            ? this.queue.fail(job.id, reason)
            : this.queue.requeue(job.id, reason),
        );
        return;
      }
    }
    this.event(
      job.id,
      'info',
      `created Kubernetes Job ${this.config.namespace}/${name} (cpu ${resources.cpu}, memory ${resources.memory}, gpu ${resources.gpu})`,
    );
    this.evaluate(name);
  }

  private track(row: DispatchedJob, name: string, resources?: ResourceRequest): Tracked {
    const t: Tracked = {
      jobId: row.id,
      projectId: row.projectId,
      name,
      resources: resources ?? safeResources(row, this.config),
      running: false,
      settled: false,
      deleting: false,
      logPods: new Set(),
      podSeen: false,
    };
    this.tracked.set(name, t);
    return t;
  }

  // ---- cancellation and timeouts ------------------------------------------------------------

  private async handleCancellations(): Promise<void> {
    const open = [...this.tracked.values()].filter((t) => !t.settled && !t.deleting);
    if (open.length === 0) return;
    const ids = new Set(await this.queue.cancelRequested([...new Set(open.map((t) => t.jobId))]));
    if (ids.size === 0) return;
    const now = this.clock.now();
    for (const t of open) {
      if (!ids.has(t.jobId) || t.settled || t.deleting) continue;
      if (t.running) {
        // The worker sees the cancel flag in the database and stops at its next step; the Job
        // is deleted only if it has not ended after the grace period.
        t.cancelSince ??= now;
        if (now - t.cancelSince < this.config.cancelGraceSeconds * 1000) continue;
      }
      await this.settleByDeleting(t, () =>
        this.queue.markCancelled(
          t.jobId,
          t.running
            ? `the worker did not stop within ${this.config.cancelGraceSeconds}s; Kubernetes Job ${t.name} deleted`
            : `cancelled before its pod started; Kubernetes Job ${t.name} deleted`,
        ),
      );
    }
  }

  private async handleTimeouts(): Promise<void> {
    const now = this.clock.now();
    for (const t of [...this.tracked.values()]) {
      if (
        !t.settled &&
        t.failedWithoutPodSince !== undefined &&
        now - t.failedWithoutPodSince >= POD_WAIT_MS
      ) {
        t.podSeen = true;
        this.evaluate(t.name);
        continue;
      }
      if (t.settled || t.deleting || t.pendingSince === undefined || t.running) continue;
      const limit =
        t.pendingReason === 'Unschedulable'
          ? this.config.unschedulableTimeoutSeconds
          : t.pendingReason === 'ImagePull' || t.pendingReason === 'ContainerConfig'
            ? this.config.imagePullTimeoutSeconds
            : undefined;
      if (limit === undefined || now - t.pendingSince < limit * 1000) continue;
      await this.settleByDeleting(t, () =>
        this.queue.fail(
          t.jobId,
          `pod stayed ${t.pendingReason} for more than ${limit}s (${t.lastKey}); Kubernetes Job ${t.name} deleted`,
        ),
      );
    }
  }

  private async settleByDeleting(t: Tracked, report: () => Promise<void>): Promise<void> {
    t.settled = true;
    t.deleting = true;
    await this.deleteJob(t.name);
    this.serial(t.jobId, report);
  }

  private async deleteJob(name: string): Promise<void> {
    try {
      await this.batch.deleteNamespacedJob({
        name,
        namespace: this.config.namespace,
        propagationPolicy: 'Background',
      });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
    }
  }

  // ---- watches --------------------------------------------------------------------------------

  private async startInformers(): Promise<void> {
    const ns = this.config.namespace;
    const pods = makeInformer<V1Pod>(
      this.kubeConfig,
      `/api/v1/namespaces/${ns}/pods`,
      () => this.core.listNamespacedPod({ namespace: ns, labelSelector: this.selector }),
      this.selector,
    );
    pods.on('add', (p) => this.onPod(p));
    pods.on('update', (p) => this.onPod(p));
    pods.on('delete', (p) => this.onPodDeleted(p));
    const jobs = makeInformer<V1Job>(
      this.kubeConfig,
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      () => this.batch.listNamespacedJob({ namespace: ns, labelSelector: this.selector }),
      this.selector,
    );
    jobs.on('add', (j) => this.onJob(j));
    jobs.on('update', (j) => this.onJob(j));
    jobs.on('delete', (j) => this.onJobDeleted(j));
    for (const inf of [pods, jobs] as Informer<V1Job | V1Pod>[]) {
      // ListWatch relists by itself on 410 Gone and re-watches when the server closes the
      // stream; other errors (connection refused, 5xx) stop it, so we restart it after a pause.
      inf.on('error', (err?: unknown) => {
        if (!this.running) return;
        this.logger.warn(
          `watch failed, retrying in ${this.config.watchRetryMs} ms: ${describeError(err)}`,
        );
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (this.running) void inf.start();
        }, this.config.watchRetryMs);
        this.timers.add(timer);
      });
      this.informers.push(inf);
      await inf.start();
    }
  }

  private onJob(job: V1Job): void {
    const name = job.metadata?.name ?? '';
    const t = this.tracked.get(name);
    if (!t) return;
    t.job = job;
    this.evaluate(name);
  }

  private onJobDeleted(job: V1Job): void {
    const name = job.metadata?.name ?? '';
    const t = this.tracked.get(name);
    this.tracked.delete(name);
    this.pods.delete(name);
    if (!t || t.settled || t.deleting) return;
    t.settled = true;
    this.serial(t.jobId, () =>
      this.queue.requeue(t.jobId, `Kubernetes Job ${name} was deleted outside AutoDL`),
    );
  }

  private storePod(pod: PodView): string | undefined {
    const labels = pod.metadata?.labels ?? {};
    const owner = labels['batch.kubernetes.io/job-name'] ?? labels['job-name'];
    if (!owner || !pod.metadata?.name) return undefined;
    const byPod = this.pods.get(owner) ?? new Map<string, PodView>();
    byPod.set(pod.metadata.name, pod);
    this.pods.set(owner, byPod);
    return owner;
  }

  private onPod(pod: V1Pod): void {
    const owner = this.storePod(pod);
    if (owner) this.evaluate(owner);
  }

  private onPodDeleted(pod: V1Pod): void {
    const owner =
      pod.metadata?.labels?.['batch.kubernetes.io/job-name'] ?? pod.metadata?.labels?.['job-name'];
    if (!owner) return;
    this.pods.get(owner)?.delete(pod.metadata?.name ?? '');
    this.evaluate(owner);
  }

  /** Act on a change of the (Job, Pod) observation of one tracked Job. */
  private evaluate(name: string): void {
    const t = this.tracked.get(name);
    if (!t || t.settled || t.deleting) return;
    const pods = [...(this.pods.get(name)?.values() ?? [])];
    const pod = pods[pods.length - 1];
    if (pod) t.podSeen = true;
    const o = observe(t.job, pod);
    if (!o) return;
    if (o.state === 'failed' && o.reason === 'Error' && !t.podSeen) {
      // The Job watch ran ahead of the pod watch: wait for the pod, whose status says why it
      // failed (OOMKilled, Evicted ...). handleTimeouts settles it if the pod never shows up.
      t.failedWithoutPodSince ??= this.clock.now();
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
          t.pendingSince = this.clock.now();
        }
        this.serial(t.jobId, () => this.queue.markPending(t.jobId, `${o.reason}: ${o.message}`));
        return;
      case 'running':
        t.running = true;
        this.serial(t.jobId, () => this.queue.markRunning(t.jobId, o.message));
        if (podName) this.streamLogs(t, podName);
        return;
      case 'succeeded':
        // The worker recorded the result in the database before exiting 0; nothing to change.
        t.settled = true;
        if (podName) this.streamLogs(t, podName);
        this.event(t.jobId, 'info', `Kubernetes Job ${name} succeeded`);
        return;
      case 'failed': {
        t.settled = true;
        if (podName) this.streamLogs(t, podName);
        const hint =
          o.reason === 'OOMKilled'
            ? ` (memory limit ${t.resources.memory}; raise resources.memory if it repeats)`
            : '';
        const reason = `${o.reason}: ${o.message}${hint}`;
        this.event(t.jobId, 'warn', `Kubernetes Job ${name} failed: ${reason}`);
        // A worker that failed the job itself already made the row final; requeue is then a no-op.
        this.serial(t.jobId, () =>
          o.retryable ? this.queue.requeue(t.jobId, reason) : this.queue.fail(t.jobId, reason),
        );
        return;
      }
    }
  }

  // ---- logs -----------------------------------------------------------------------------------

  /**
   * Copy the worker container's output into job events, line by line, in order. Started when
   * the pod runs, or when it has ended if the running state was never seen (short pods); `follow`
   * either way, so the stream lasts exactly as long as the container.
   */
  private streamLogs(t: Tracked, podName: string): void {
    if (!this.config.streamLogs || t.logPods.has(podName) || !this.running) return;
    t.logPods.add(podName);
    const sink = new LineSink((line) => this.event(t.jobId, 'info', `[${podName}] ${line}`));
    this.logs
      .log(this.config.namespace, podName, WORKER_CONTAINER, sink, { follow: true })
      .then((controller) => {
        this.logStreams.add(controller);
        sink.on('finish', () => this.logStreams.delete(controller));
      })
      .catch((err: unknown) =>
        this.event(
          t.jobId,
          'warn',
          `could not read the logs of pod ${podName}: ${describeError(err)}`,
        ),
      );
  }

  // ---- queue calls, serialised per job ------------------------------------------------------

  private event(jobId: string, level: EventLevel, message: string): void {
    this.serial(jobId, () => this.queue.appendEvent(jobId, level, message));
  }

  private serial(jobId: string, fn: () => Promise<void>): void {
    const prev = this.chains.get(jobId) ?? Promise.resolve();
    const next = prev
      .then(fn)
      .catch((err: unknown) =>
        this.logger.warn(`queue update for job ${jobId} failed: ${describeError(err)}`),
      )
      .finally(() => {
        if (this.chains.get(jobId) === next) this.chains.delete(jobId);
      });
    this.chains.set(jobId, next);
  }
}

/** Resources of a re-attached row; a row whose request became invalid still gets counted. */
function safeResources(job: JobToDispatch, config: KubernetesExecutorConfig): ResourceRequest {
  try {
    return resolveResources(job, config);
  } catch {
    return { ...config.defaultResources, gpu: job.resources?.gpu ?? config.defaultResources.gpu };
  }
}

class LineSink extends Writable {
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {
    super();
  }

  override _write(
    chunk: Buffer | string,
    _enc: BufferEncoding,
    cb: (err?: Error | null) => void,
  ): void {
    const lines = (this.rest + chunk.toString()).split('\n');
    this.rest = lines.pop() ?? '';
    for (const l of lines) this.emitLine(l);
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.rest) this.emitLine(this.rest);
    this.rest = '';
    cb();
  }

  private emitLine(line: string): void {
    const trimmed = line.replace(/\r$/, '');
    if (trimmed)
      this.onLine(trimmed.length > MAX_LOG_LINE ? `${trimmed.slice(0, MAX_LOG_LINE)}…` : trimmed);
  }
}

/** The Status message of an API error, else the error text. */
export function describeError(err: unknown): string {
  if (err instanceof ApiException) {
    let body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body) as unknown;
      } catch {
        return `HTTP ${err.code}: ${body}`;
      }
    }
    if (
      typeof body === 'object' &&
      body !== null &&
      typeof (body as { message?: unknown }).message === 'string'
    ) {
      return `HTTP ${err.code}: ${(body as { message: string }).message}`;
    }
    return `HTTP ${err.code}: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
