/**
 * Pure builder: one queued job -> one `batch/v1` Job. Follows the shape Kubeflow Katib gives
 * its trial Jobs (labels that lead back to the trial, retries owned by the controller, so
 * `backoffLimit: 0`), with our worker command `node dist/worker.js run <jobId>`.
 */
import { QUANTITY_PATTERN } from '../../platform/validation/job-resources';
import type { JobManifest, PodSpec, Toleration, EnvVar } from './k8s-types';
import { KUEUE_QUEUE_LABEL } from './observe';
import { withTrialContainer } from './trial-pod';
import { IMAGE_REFERENCE_PATTERN } from '../../platform/validation/image-reference';

export interface ResourceRequest {
  cpu: string;
  memory: string;
  gpu: number;
}

export interface JobSpecConfig {
  namespace: string;
  /** `app.kubernetes.io/instance`; also scopes the executor's label selector. */
  instance: string;
  image: string;
  imageTag: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  serviceAccountName: string;
  /** ConfigMap whose keys become the worker's environment (AUTODL_* settings). */
  configMapName: string;
  /** Secret holding the database URL under `databaseUrlKey`. */
  secretName: string;
  databaseUrlKey: string;
  /** PersistentVolumeClaim with the artifacts, mounted at `autodlHome` (ReadWriteMany). */
  artifactsClaimName: string;
  /**
   * Namespaces a job may be placed in besides `namespace` (AUTODL_K8S_PLACEMENT_NAMESPACES):
   * the executor creates, watches, cancels and cleans up Jobs there too.
   */
  placementNamespaces: readonly string[];
  /**
   * The claim a Job placed in another namespace mounts in place of the artifacts volume: that
   * namespace's own PVC (the site's data, which only it mounts), read-only.
   */
  siteClaimName: string;
  autodlHome: string;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  /** Added on top of the above for jobs that request GPUs (e.g. GPU node pool taints). */
  gpuNodeSelector: Record<string, string>;
  gpuTolerations: Toleration[];
  /** Node label whose value a job's `resources.gpuType` must match (the GPU model). */
  gpuTypeLabel: string;
  priorityClassName?: string;
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished: number;
  defaultResources: ResourceRequest;
  /** Per job kind overrides, e.g. `{ finetune: { gpu: 1, memory: '8Gi' } }`. */
  kindResources: Record<string, Partial<ResourceRequest>>;
  /** Largest GPU count one job may ask for (a request above it is refused, not clipped). */
  maxGpusPerJob: number;
  /**
   * Kueue LocalQueue for every Job (AUTODL_K8S_QUEUE): Jobs carry its label and are created
   * suspended, so Kueue admits them by ClusterQueue quota. null: no Kueue.
   */
  queueName: string | null;
}

/**
 * Where a job's pods run when it says so (a federation's site placement): another namespace of
 * the cluster (one of AUTODL_K8S_PLACEMENT_NAMESPACES), a nodeSelector on top of the executor's,
 * and `completions` > 1 for work that needs that many pods at once (one Indexed Job).
 */
export interface JobPlacement {
  namespace: string;
  nodeSelector: Record<string, string>;
  completions: number;
}

export interface JobToDispatch {
  id: string;
  projectId: string;
  kind: string;
  attempt: number;
  resources?: { gpu?: number; cpu?: string; memory?: string; gpuType?: string };
  placement?: JobPlacement | null;
  /**
   * A trial that runs in the user's own image (a study's `runner.image`): the pod gets a `trial`
   * container beside the worker, which collects its output (trial-pod.ts).
   */
  trialImage?: string;
}

/** The annotation (and, since Kubernetes 1.28, label) holding an Indexed Job pod's index. */
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/** The namespace a job's Kubernetes Job lives in: its placement's, else the executor's. */
export function jobNamespace(job: Pick<JobToDispatch, 'placement'>, config: JobSpecConfig): string {
  return job.placement?.namespace ?? config.namespace;
}

export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_JOB_ID = 'autodl.io/job-id';
export const LABEL_KIND = 'autodl.io/kind';
export const LABEL_PROJECT = 'autodl.io/project';
export const LABEL_ATTEMPT = 'autodl.io/attempt';
export const MANAGED_BY = 'autodl-kubernetes-executor';
export const WORKER_CONTAINER = 'worker';

// Kubernetes quantity grammar (resource.Quantity): a signed decimal with a binary or decimal
// SI suffix or an exponent.
const QUANTITY = new RegExp(QUANTITY_PATTERN);
// RFC 1123 label: what a Job name and the values we put in labels must satisfy.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IMAGE_REFERENCE = new RegExp(IMAGE_REFERENCE_PATTERN);

/** True for a Kubernetes resource quantity such as `500m`, `2`, `8Gi`, `1e3`. */
export function isQuantity(text: string): boolean {
  return QUANTITY.test(text);
}

/** The label selector that finds every Job and Pod this executor instance created. */
export function managedSelector(instance: string): string {
  return `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_INSTANCE}=${instance}`;
}

/**
 * Job name per attempt: a re-queued job gets a fresh Job while the failed one waits for its TTL.
 * `autodl-<uuid>-a<n>` stays under the 63-character limit the `job-name` pod label imposes.
 */
export function jobName(jobId: string, attempt: number): string {
  const name = `autodl-${jobId.toLowerCase()}-a${attempt}`;
  if (name.length > 63 || !DNS_LABEL.test(name)) {
    throw new Error(`job id ${JSON.stringify(jobId)} cannot form a Kubernetes Job name`);
  }
  return name;
}

/** Effective request: the kind's defaults over the global defaults, then the job's own request. */
export function resolveResources(job: JobToDispatch, config: JobSpecConfig): ResourceRequest {
  const merged: ResourceRequest = {
    ...config.defaultResources,
    ...config.kindResources[job.kind],
    ...definedOnly(job.resources ?? {}),
  };
  if (!Number.isInteger(merged.gpu) || merged.gpu < 0) {
    throw new Error(`resources.gpu must be a non-negative integer, got ${merged.gpu}`);
  }
  if (merged.gpu > config.maxGpusPerJob) {
    throw new Error(`resources.gpu ${merged.gpu} exceeds maxGpusPerJob ${config.maxGpusPerJob}`);
  }
  for (const key of ['cpu', 'memory'] as const) {
    if (!QUANTITY.test(merged[key])) {
      throw new Error(
        `resources.${key} ${JSON.stringify(merged[key])} is not a Kubernetes quantity`,
      );
    }
  }
  return merged;
}

/** Whole cores of a CPU quantity ("2", "1500m", "0.5"), at least 1. */
export function wholeCores(cpu: string): number {
  const cores = cpu.endsWith('m') ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu);
  return Number.isFinite(cores) ? Math.max(1, Math.floor(cores)) : 1;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Label values are at most 63 characters of [A-Za-z0-9_.-]; other characters become '_'. */
function labelValue(raw: string): string {
  const cleaned = raw
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (!LABEL_VALUE.test(cleaned)) throw new Error(`cannot form a label value from ${raw}`);
  return cleaned;
}

export function jobLabels(job: JobToDispatch, config: JobSpecConfig): Record<string, string> {
  return {
    [LABEL_NAME]: 'autodl',
    [LABEL_INSTANCE]: config.instance,
    [LABEL_COMPONENT]: 'worker',
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_JOB_ID]: labelValue(job.id),
    [LABEL_KIND]: labelValue(job.kind),
    [LABEL_PROJECT]: labelValue(job.projectId),
    [LABEL_ATTEMPT]: String(job.attempt),
  };
}

export function buildJobManifest(job: JobToDispatch, config: JobSpecConfig): JobManifest {
  const name = jobName(job.id, job.attempt);
  const namespace = jobNamespace(job, config);
  if (namespace !== config.namespace && !config.placementNamespaces.includes(namespace))
    throw new Error(
      `namespace ${namespace} is not a placement namespace (AUTODL_K8S_PLACEMENT_NAMESPACES)`,
    );
  if (
    job.placement &&
    (!Number.isInteger(job.placement.completions) || job.placement.completions < 1)
  )
    throw new Error(
      `placement.completions must be a positive integer, got ${job.placement.completions}`,
    );
  // Another namespace cannot mount the service's artifacts claim (claims are namespaced): it
  // mounts its own, read-only, with the data sets of the sites placed there.
  const foreign = namespace !== config.namespace;
  const res = resolveResources(job, config);
  const labels = jobLabels(job, config);
  const resources = {
    requests: { cpu: res.cpu, memory: res.memory } as Record<string, string>,
    limits: { memory: res.memory } as Record<string, string>,
  };
  if (res.gpu > 0) {
    // Extended resources must have request == limit; the device plugin counts whole GPUs.
    resources.requests['nvidia.com/gpu'] = String(res.gpu);
    resources.limits['nvidia.com/gpu'] = String(res.gpu);
  }
  const gpu = res.gpu > 0;
  const gpuType = job.resources?.gpuType;
  if (gpuType !== undefined && !gpu) {
    throw new Error(`resources.gpuType ${JSON.stringify(gpuType)} needs resources.gpu >= 1`);
  }
  const placement = job.placement ?? null;
  const indexed = placement !== null && placement.completions > 1;
  const nodeSelector = {
    ...config.nodeSelector,
    // The placement's labels (a site's node pool) narrow the executor's, they never widen it.
    ...(placement?.nodeSelector ?? {}),
    ...(gpu ? config.gpuNodeSelector : {}),
    // The job's GPU model: only nodes whose label says so (GPU feature discovery sets it).
    ...(gpuType !== undefined ? { [config.gpuTypeLabel]: gpuType } : {}),
  };
  const tolerations = [...config.tolerations, ...(gpu ? config.gpuTolerations : [])];
  const env: EnvVar[] = [
    {
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: config.secretName, key: config.databaseUrlKey } },
    },
    { name: 'AUTODL_HOME', value: config.autodlHome },
    { name: 'AUTODL_JOB_ID', value: job.id },
    { name: 'AUTODL_JOB_ATTEMPT', value: String(job.attempt) },
    // The cores the pod requested are the job's: a training job given 2 or more splits its
    // batches over that many threads (a pod sees the node's cores and load, not its share).
    { name: 'AUTODL_TRAIN_THREADS', value: String(wholeCores(res.cpu)) },
  ];
  if (!gpu) env.push({ name: 'NVIDIA_VISIBLE_DEVICES', value: 'void' });
  if (job.trialImage !== undefined && (indexed || !IMAGE_REFERENCE.test(job.trialImage)))
    throw new Error(
      indexed
        ? 'a trial image needs a one-pod Job'
        : `trialImage ${JSON.stringify(job.trialImage)} is not an image reference`,
    );
  const workerPod: PodSpec = {
    restartPolicy: 'Never',
    serviceAccountName: config.serviceAccountName,
    // The worker talks to PostgreSQL only; it needs no Kubernetes API token.
    automountServiceAccountToken: false,
    ...(config.priorityClassName ? { priorityClassName: config.priorityClassName } : {}),
    ...(Object.keys(nodeSelector).length > 0 ? { nodeSelector } : {}),
    ...(tolerations.length > 0 ? { tolerations } : {}),
    // Pod Security `restricted`, which the namespace enforces (k8s/base/namespace.yaml).
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: WORKER_CONTAINER,
        image: `${config.image}:${config.imageTag}`,
        imagePullPolicy: config.imagePullPolicy,
        // An Indexed Job's pods share one row: each runs its index's part (JOB_COMPLETION_INDEX,
        // set by the Job controller) without claiming it; the executor finishes the row from the
        // Job's status (docs/deploy.md, "Indexed Jobs").
        command: ['node', 'dist/worker.js', indexed ? 'run-index' : 'run', job.id],
        env,
        envFrom: [{ configMapRef: { name: config.configMapName } }],
        resources,
        // Only the artifact tree of the shared volume: the API keeps admin.key (and, embedded,
        // its database) at the volume's root, which no worker (nor a trial in it) needs.
        volumeMounts: [
          {
            name: 'artifacts',
            mountPath: `${config.autodlHome}/artifacts`,
            subPath: 'artifacts',
            ...(foreign ? { readOnly: true } : {}),
          },
        ],
        securityContext: {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        },
      },
    ],
    volumes: [
      {
        name: 'artifacts',
        persistentVolumeClaim: foreign
          ? { claimName: config.siteClaimName, readOnly: true }
          : { claimName: config.artifactsClaimName },
      },
    ],
  };
  const podSpec =
    job.trialImage === undefined ? workerPod : withTrialContainer(workerPod, job.trialImage, gpu);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace,
      // Kueue reads the queue from the Job's own labels (not the pods').
      labels: config.queueName ? { ...labels, [KUEUE_QUEUE_LABEL]: config.queueName } : labels,
    },
    spec: {
      // Retries are ours, counted in the jobs table (attempts/max_attempts), so the Job
      // controller must never start a second pod on its own. An Indexed Job counts failures per
      // index instead (backoffLimitPerIndex 0: a failed index is never re-run, and the other
      // indexes go on: the work's own rule, e.g. a federation's quorum, decides); the Job is
      // Complete when every index succeeded, Failed (reason FailedIndexes) once all ended and
      // some failed.
      ...(indexed
        ? {
            completionMode: 'Indexed' as const,
            completions: placement.completions,
            // All indexes at once: the pods of one round start together.
            parallelism: placement.completions,
            backoffLimitPerIndex: 0,
          }
        : { backoffLimit: 0 }),
      // Kueue admits a suspended Job by unsuspending it once its ClusterQueue has the quota
      // (activeDeadlineSeconds counts from then).
      ...(config.queueName ? { suspend: true } : {}),
      activeDeadlineSeconds: config.activeDeadlineSeconds,
      ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
      template: { metadata: { labels }, spec: podSpec },
    },
  };
}
