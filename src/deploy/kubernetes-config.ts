/**
 * Configuration of the Kubernetes executor: named defaults in one place (as Katib keeps its
 * controller defaults), read once from the environment and validated; an invalid value stops
 * the process with a message naming the variable. The manifests in k8s/ set these through the
 * `autodl-config` ConfigMap.
 */
import { ConfigError } from '../platform/config/app-config';
import { defineConfigSection } from '../platform/config/config-section';
import { isQuantity, type JobSpecConfig, type ResourceRequest } from './core/job-spec';
import type { Toleration } from './core/k8s-types';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DEFAULT_ELECTION_TIMING, timingProblem, type ElectionTiming } from './core/lease';
import { validateQuota, type Quota } from './core/quota';

export interface ExecutorTiming {
  /** How often the dispatch loop looks at the queue, cancellations and pending timeouts. */
  dispatchIntervalMs: number;
  /** Candidates read from the queue per dispatch pass. */
  dispatchBatch: number;
  /** A pod that cannot pull its image (or start its container) this long fails the job. */
  imagePullTimeoutSeconds: number;
  /** A pod no node can take this long fails the job (no GPU node, too large a request). */
  unschedulableTimeoutSeconds: number;
  /** After a cancel request, how long a running worker gets to stop itself before the Job is deleted. */
  cancelGraceSeconds: number;
  /** Delay before re-opening a watch that failed with anything but 410 Gone. */
  watchRetryMs: number;
  /** Copy pod stdout/stderr into job events. */
  streamLogs: boolean;
}

export interface ClusterAccess {
  /**
   * Kubeconfig file(s) as in $KUBECONFIG (several joined by the path delimiter); null: the
   * pod's ServiceAccount in a cluster, else ~/.kube/config (what kubectl does).
   */
  kubeconfig: string | null;
}

/** Leader election among API replicas (leader-election.ts; rules in core/lease.ts). */
export interface LeaderElectionConfig {
  /** Run the executor only on the replica holding the Lease; off: this replica always runs it. */
  leaderElection: boolean;
  /** The Lease in the executor's namespace. */
  leaseName: string;
  /** This replica's holder identity: the pod name (downward API) plus a random suffix. */
  leaderIdentity: string;
  leaseDurationSeconds: number;
  leaseRenewDeadlineSeconds: number;
  leaseRetryPeriodMs: number;
}

export type KubernetesExecutorConfig = JobSpecConfig &
  Quota &
  ExecutorTiming &
  ClusterAccess &
  LeaderElectionConfig;

export const KUBERNETES_EXECUTOR_DEFAULTS: KubernetesExecutorConfig = {
  namespace: 'autodl',
  instance: 'autodl',
  image: 'ghcr.io/autodl/autodl',
  imageTag: 'latest',
  imagePullPolicy: 'IfNotPresent',
  serviceAccountName: 'autodl-worker',
  configMapName: 'autodl-config',
  secretName: 'autodl-secrets',
  databaseUrlKey: 'DATABASE_URL',
  artifactsClaimName: 'autodl-artifacts',
  placementNamespaces: [],
  siteClaimName: 'autodl-site-data',
  autodlHome: '/var/lib/autodl',
  nodeSelector: {},
  tolerations: [],
  gpuNodeSelector: {},
  // The taint GPU node pools commonly carry (GKE, AKS and the NVIDIA GPU operator docs).
  gpuTolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
  // The GPU model label NVIDIA GPU feature discovery puts on nodes (e.g. NVIDIA-A100-SXM4-40GB).
  gpuTypeLabel: 'nvidia.com/gpu.product',
  activeDeadlineSeconds: 24 * 3600,
  ttlSecondsAfterFinished: 3600,
  defaultResources: { cpu: '1', memory: '2Gi', gpu: 0 },
  kindResources: {},
  maxGpusPerJob: 8,
  queueName: null,
  maxConcurrentJobs: 20,
  maxJobsPerProject: 10,
  maxGpusPerProject: 4,
  dispatchIntervalMs: 2000,
  dispatchBatch: 50,
  imagePullTimeoutSeconds: 300,
  unschedulableTimeoutSeconds: 1800,
  cancelGraceSeconds: 30,
  watchRetryMs: 1000,
  streamLogs: true,
  kubeconfig: null,
  leaderElection: true,
  leaseName: 'autodl-executor',
  leaderIdentity: '',
  // client-go's defaults (LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod 2 s).
  leaseDurationSeconds: DEFAULT_ELECTION_TIMING.leaseDurationSeconds,
  leaseRenewDeadlineSeconds: DEFAULT_ELECTION_TIMING.renewDeadlineSeconds,
  leaseRetryPeriodMs: DEFAULT_ELECTION_TIMING.retryPeriodSeconds * 1000,
};

type Env = Record<string, string | undefined>;

/** An invalid AUTODL_K8S_* value; `variable` and `detail` let the app's config error name it. */
export class KubernetesConfigError extends Error {
  readonly detail: string;

  constructor(
    readonly variable: string,
    value: string,
    expected: string,
  ) {
    super(`${variable}=${JSON.stringify(value)} is invalid: expected ${expected}`);
    this.name = 'ConfigError';
    this.detail = `must be ${expected}, got ${JSON.stringify(value)}`;
  }
}

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new KubernetesConfigError(name, raw, `an integer >= ${min}`);
  return n;
}

function str(env: Env, name: string, fallback: string, pattern?: RegExp): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (pattern && !pattern.test(raw))
    throw new KubernetesConfigError(name, raw, `a value matching ${pattern}`);
  return raw;
}

function quantity(env: Env, name: string, fallback: string): string {
  const value = str(env, name, fallback);
  if (!isQuantity(value))
    throw new KubernetesConfigError(name, value, 'a Kubernetes quantity such as 500m, 2 or 8Gi');
  return value;
}

function json<T>(
  env: Env,
  name: string,
  fallback: T,
  check: (v: unknown) => v is T,
  expected: string,
): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new KubernetesConfigError(name, raw, `JSON ${expected}`);
  }
  if (!check(parsed)) throw new KubernetesConfigError(name, raw, expected);
  return parsed;
}

function isStringMap(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string')
  );
}

function isTolerations(v: unknown): v is Toleration[] {
  return (
    Array.isArray(v) &&
    v.every(
      (t) =>
        typeof t === 'object' &&
        t !== null &&
        Object.entries(t).every(([k, x]) =>
          k === 'tolerationSeconds'
            ? typeof x === 'number'
            : ['key', 'operator', 'value', 'effect'].includes(k) && typeof x === 'string',
        ),
    )
  );
}

function isKindResources(v: unknown): v is Record<string, Partial<ResourceRequest>> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every(
      (r) =>
        typeof r === 'object' &&
        r !== null &&
        Object.entries(r).every(([k, x]) =>
          k === 'gpu'
            ? Number.isInteger(x) && (x as number) >= 0
            : (k === 'cpu' || k === 'memory') && typeof x === 'string' && isQuantity(x),
        ),
    )
  );
}

const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * AUTODL_K8S_IMAGE may carry its tag (`registry:5000/autodl:0.1.0`, what the manifests copy
 * from the API Deployment) or leave it to AUTODL_K8S_IMAGE_TAG; not both. Digests are not
 * supported.
 */
function imageRef(env: Env): { image: string; imageTag: string } {
  const d = KUBERNETES_EXECUTOR_DEFAULTS;
  const raw = str(env, 'AUTODL_K8S_IMAGE', d.image, /^[a-z0-9][a-z0-9._/:-]*$/);
  const lastSlash = raw.lastIndexOf('/');
  const colon = raw.indexOf(':', lastSlash + 1);
  const tagged = colon > 0;
  if (tagged && env.AUTODL_K8S_IMAGE_TAG) {
    throw new KubernetesConfigError(
      'AUTODL_K8S_IMAGE_TAG',
      env.AUTODL_K8S_IMAGE_TAG,
      'unset when AUTODL_K8S_IMAGE has a tag',
    );
  }
  const image = tagged ? raw.slice(0, colon) : raw;
  const imageTag = tagged
    ? raw.slice(colon + 1)
    : str(env, 'AUTODL_K8S_IMAGE_TAG', d.imageTag, TAG);
  if (!TAG.test(imageTag))
    throw new KubernetesConfigError('AUTODL_K8S_IMAGE', raw, 'a tag of [A-Za-z0-9_.-]');
  return { image, imageTag };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A comma-separated list of namespace names (empty: none). */
function namespaces(env: Env, name: string): string[] {
  const list = (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const ns of list)
    if (!DNS_LABEL.test(ns) || ns.length > 63)
      throw new KubernetesConfigError(name, env[name] ?? '', 'comma-separated namespace names');
  return [...new Set(list)];
}

/** Reads AUTODL_K8S_* variables; anything unset takes its KUBERNETES_EXECUTOR_DEFAULTS value. */
export function loadKubernetesExecutorConfig(env: Env): KubernetesExecutorConfig {
  const d = KUBERNETES_EXECUTOR_DEFAULTS;
  const pullPolicy = str(
    env,
    'AUTODL_K8S_IMAGE_PULL_POLICY',
    d.imagePullPolicy,
    /^(Always|IfNotPresent|Never)$/,
  );
  const config: KubernetesExecutorConfig = {
    namespace: str(env, 'AUTODL_K8S_NAMESPACE', env.POD_NAMESPACE || d.namespace, DNS_LABEL),
    instance: str(env, 'AUTODL_K8S_INSTANCE', d.instance, DNS_LABEL),
    ...imageRef(env),
    imagePullPolicy: pullPolicy as KubernetesExecutorConfig['imagePullPolicy'],
    serviceAccountName: str(env, 'AUTODL_K8S_SERVICE_ACCOUNT', d.serviceAccountName, DNS_LABEL),
    configMapName: str(env, 'AUTODL_K8S_CONFIGMAP', d.configMapName, DNS_LABEL),
    secretName: str(env, 'AUTODL_K8S_SECRET', d.secretName, DNS_LABEL),
    databaseUrlKey: str(env, 'AUTODL_K8S_DATABASE_URL_KEY', d.databaseUrlKey, /^[-._a-zA-Z0-9]+$/),
    artifactsClaimName: str(env, 'AUTODL_K8S_ARTIFACTS_PVC', d.artifactsClaimName, DNS_LABEL),
    placementNamespaces: namespaces(env, 'AUTODL_K8S_PLACEMENT_NAMESPACES'),
    siteClaimName: str(env, 'AUTODL_K8S_SITE_PVC', d.siteClaimName, DNS_LABEL),
    autodlHome: str(env, 'AUTODL_HOME', d.autodlHome, /^\//),
    nodeSelector: json(
      env,
      'AUTODL_K8S_NODE_SELECTOR',
      d.nodeSelector,
      isStringMap,
      'an object of strings',
    ),
    tolerations: json(
      env,
      'AUTODL_K8S_TOLERATIONS',
      d.tolerations,
      isTolerations,
      'an array of tolerations',
    ),
    gpuNodeSelector: json(
      env,
      'AUTODL_K8S_GPU_NODE_SELECTOR',
      d.gpuNodeSelector,
      isStringMap,
      'an object of strings',
    ),
    gpuTolerations: json(
      env,
      'AUTODL_K8S_GPU_TOLERATIONS',
      d.gpuTolerations,
      isTolerations,
      'an array of tolerations',
    ),
    gpuTypeLabel: str(
      env,
      'AUTODL_K8S_GPU_TYPE_LABEL',
      d.gpuTypeLabel,
      /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
    ),
    ...(env.AUTODL_K8S_PRIORITY_CLASS
      ? { priorityClassName: str(env, 'AUTODL_K8S_PRIORITY_CLASS', '', DNS_LABEL) }
      : {}),
    activeDeadlineSeconds: int(
      env,
      'AUTODL_K8S_ACTIVE_DEADLINE_SECONDS',
      d.activeDeadlineSeconds,
      1,
    ),
    ttlSecondsAfterFinished: int(
      env,
      'AUTODL_K8S_TTL_SECONDS_AFTER_FINISHED',
      d.ttlSecondsAfterFinished,
    ),
    defaultResources: {
      cpu: quantity(env, 'AUTODL_K8S_CPU', d.defaultResources.cpu),
      memory: quantity(env, 'AUTODL_K8S_MEMORY', d.defaultResources.memory),
      gpu: int(env, 'AUTODL_K8S_GPU', d.defaultResources.gpu),
    },
    kindResources: json(
      env,
      'AUTODL_K8S_KIND_RESOURCES',
      d.kindResources,
      isKindResources,
      'an object kind -> {cpu?, memory?, gpu?}',
    ),
    maxGpusPerJob: int(env, 'AUTODL_K8S_MAX_GPUS_PER_JOB', d.maxGpusPerJob),
    queueName: env.AUTODL_K8S_QUEUE ? str(env, 'AUTODL_K8S_QUEUE', '', DNS_LABEL) : null,
    maxConcurrentJobs: int(env, 'AUTODL_K8S_MAX_CONCURRENT_JOBS', d.maxConcurrentJobs, 1),
    maxJobsPerProject: int(env, 'AUTODL_K8S_MAX_JOBS_PER_PROJECT', d.maxJobsPerProject, 1),
    maxGpusPerProject: int(env, 'AUTODL_K8S_MAX_GPUS_PER_PROJECT', d.maxGpusPerProject),
    dispatchIntervalMs: int(env, 'AUTODL_K8S_DISPATCH_INTERVAL_MS', d.dispatchIntervalMs, 10),
    dispatchBatch: int(env, 'AUTODL_K8S_DISPATCH_BATCH', d.dispatchBatch, 1),
    imagePullTimeoutSeconds: int(
      env,
      'AUTODL_K8S_IMAGE_PULL_TIMEOUT_SECONDS',
      d.imagePullTimeoutSeconds,
      1,
    ),
    unschedulableTimeoutSeconds: int(
      env,
      'AUTODL_K8S_UNSCHEDULABLE_TIMEOUT_SECONDS',
      d.unschedulableTimeoutSeconds,
      1,
    ),
    cancelGraceSeconds: int(env, 'AUTODL_K8S_CANCEL_GRACE_SECONDS', d.cancelGraceSeconds),
    watchRetryMs: int(env, 'AUTODL_K8S_WATCH_RETRY_MS', d.watchRetryMs, 1),
    streamLogs: str(env, 'AUTODL_K8S_STREAM_LOGS', 'true', /^(true|false)$/) === 'true',
    kubeconfig: env.KUBECONFIG?.trim() || null,
    ...leaderElection(env),
  };
  validateQuota(config);
  return config;
}

/** Unique per process, so a restarted pod never mistakes its predecessor's lease for its own. */
function defaultIdentity(env: Env): string {
  return `${env.POD_NAME || hostname()}_${randomUUID().slice(0, 8)}`;
}

function leaderElection(env: Env): LeaderElectionConfig {
  const d = KUBERNETES_EXECUTOR_DEFAULTS;
  const config: LeaderElectionConfig = {
    leaderElection: str(env, 'AUTODL_K8S_LEADER_ELECTION', 'true', /^(true|false)$/) === 'true',
    leaseName: str(env, 'AUTODL_K8S_LEASE_NAME', d.leaseName, DNS_LABEL),
    leaderIdentity: str(env, 'AUTODL_K8S_LEADER_IDENTITY', defaultIdentity(env)),
    leaseDurationSeconds: int(env, 'AUTODL_K8S_LEASE_DURATION_SECONDS', d.leaseDurationSeconds, 2),
    leaseRenewDeadlineSeconds: int(
      env,
      'AUTODL_K8S_LEASE_RENEW_DEADLINE_SECONDS',
      d.leaseRenewDeadlineSeconds,
      1,
    ),
    leaseRetryPeriodMs: int(env, 'AUTODL_K8S_LEASE_RETRY_PERIOD_MS', d.leaseRetryPeriodMs, 50),
  };
  const problem = timingProblem(electionTiming(config));
  if (problem) {
    throw new KubernetesConfigError(
      'AUTODL_K8S_LEASE_DURATION_SECONDS',
      String(config.leaseDurationSeconds),
      `lease timings where ${problem}`,
    );
  }
  return config;
}

/** The election's timing from the config's units. */
export function electionTiming(config: LeaderElectionConfig): ElectionTiming {
  return {
    leaseDurationSeconds: config.leaseDurationSeconds,
    renewDeadlineSeconds: config.leaseRenewDeadlineSeconds,
    retryPeriodSeconds: config.leaseRetryPeriodMs / 1000,
  };
}

/**
 * The executor's section of the service configuration (registered by the composition root,
 * src/capability-config.ts): read only when AUTODL_EXECUTOR=kubernetes, else null.
 */
export const KUBERNETES_CONFIG_SECTION = defineConfigSection<KubernetesExecutorConfig | null>({
  name: 'kubernetes',
  load(env, platform) {
    if (platform.executor !== 'kubernetes') return null;
    try {
      return loadKubernetesExecutorConfig(env);
    } catch (error) {
      if (error instanceof KubernetesConfigError)
        throw new ConfigError(error.variable, error.detail);
      throw error;
    }
  },
});
