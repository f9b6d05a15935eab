/**
 * What the parts of the Kubernetes executor share (kubernetes-executor.ts wires them): the Jobs
 * it created and their pods as last seen, the cluster clients, and the queue calls, serialised
 * per job so that a job's events and transitions reach the database in the order they happened.
 */
import { BatchV1Api, CoreV1Api, KubeConfig, Log } from '@kubernetes/client-node';
import type { ResourceRequest } from './core/job-spec';
import {
  jobNamespace,
  managedSelector,
  resolveResources,
  type JobToDispatch,
} from './core/job-spec';
import type { JobView, PodView } from './core/k8s-types';
import type { PendingReason } from './core/observe';
import { apiStatus, describeError } from './api-errors';
import type { DispatchedJob, DispatchQueue, EventLevel } from './dispatch-queue.port';
import type { KubernetesExecutorConfig } from './kubernetes-config';

export interface Clock {
  now(): number;
}

export interface ExecutorLogger {
  warn(message: string): void;
}

/** One Kubernetes Job this executor created (one attempt of one job). */
export interface Tracked {
  jobId: string;
  projectId: string;
  name: string;
  /** The namespace of the Kubernetes Job: the executor's, or the job's placement's. */
  namespace: string;
  /**
   * An Indexed Job (multi-pod work): no pod claims the row, so its outcome is the Job's
   * (Complete: the row succeeds; Failed: it fails with the failed indexes).
   */
  indexed: boolean;
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

export class ExecutorState {
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
  readonly logs: Log;
  readonly selector: string;
  /** By Kubernetes Job name. */
  readonly tracked = new Map<string, Tracked>();
  /** Pods by the name of the Job that owns them. */
  readonly pods = new Map<string, Map<string, PodView>>();
  private readonly chains = new Map<string, Promise<void>>();
  running = false;

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly queue: DispatchQueue,
    readonly config: KubernetesExecutorConfig,
    readonly clock: Clock,
    readonly logger: ExecutorLogger,
  ) {
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.logs = new Log(kubeConfig);
    this.selector = managedSelector(config.instance);
  }

  track(row: DispatchedJob, name: string, resources?: ResourceRequest): Tracked {
    const t: Tracked = {
      jobId: row.id,
      projectId: row.projectId,
      name,
      namespace: jobNamespace(row, this.config),
      indexed: (row.placement?.completions ?? 1) > 1,
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

  /** Tracked Jobs whose outcome is still open (they count against the quota). */
  occupying(): Tracked[] {
    return [...this.tracked.values()].filter((t) => !t.settled);
  }

  /** Remembers a pod under its Job; returns the Job's name (undefined: not one of ours). */
  storePod(pod: PodView): string | undefined {
    const owner = podOwner(pod);
    if (!owner || !pod.metadata?.name) return undefined;
    const byPod = this.pods.get(owner) ?? new Map<string, PodView>();
    byPod.set(pod.metadata.name, pod);
    this.pods.set(owner, byPod);
    return owner;
  }

  /** The executor's namespace and the placement namespaces: where its Jobs may live. */
  get namespaces(): string[] {
    return [...new Set([this.config.namespace, ...this.config.placementNamespaces])];
  }

  async deleteJob(name: string, namespace = this.config.namespace): Promise<void> {
    try {
      await this.batch.deleteNamespacedJob({
        name,
        namespace,
        propagationPolicy: 'Background',
      });
    } catch (err) {
      if (apiStatus(err) !== 404) throw err;
    }
  }

  /** Settles a tracked Job by deleting it (pods with it), then reports the outcome. */
  async settleByDeleting(t: Tracked, report: () => Promise<void>): Promise<void> {
    t.settled = true;
    t.deleting = true;
    await this.deleteJob(t.name, t.namespace);
    this.serial(t.jobId, report);
  }

  event(jobId: string, level: EventLevel, message: string): void {
    this.serial(jobId, () => this.queue.appendEvent(jobId, level, message));
  }

  /** Runs `fn` after the job's earlier queue calls; a failure is logged, never thrown. */
  serial(jobId: string, fn: () => Promise<void>): void {
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

  /** Resolves once every queued queue call has run. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }
}

/** The Job a pod belongs to, by the labels the Job controller sets. */
export function podOwner(pod: PodView): string | undefined {
  const labels = pod.metadata?.labels ?? {};
  return labels['batch.kubernetes.io/job-name'] ?? labels['job-name'];
}

/** Resources of a re-attached row; a row whose request became invalid still gets counted. */
function safeResources(job: JobToDispatch, config: KubernetesExecutorConfig): ResourceRequest {
  try {
    return resolveResources(job, config);
  } catch {
    return { ...config.defaultResources, gpu: job.resources?.gpu ?? config.defaultResources.gpu };
  }
}
