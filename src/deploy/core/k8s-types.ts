/**
 * The slice of the Kubernetes object model the pure cores read and write. Kept local because
 * cores may not import `@kubernetes/*`; the shapes follow the batch/v1 and core/v1 OpenAPI
 * schemas field for field, so they are structurally assignable to the client's V1Job / V1Pod.
 */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  deletionTimestamp?: Date | string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  command: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string; optional?: boolean } }[];
  resources?: ResourceRequirements;
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  securityContext?: {
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
}

export interface PodSpec {
  restartPolicy: 'Never' | 'OnFailure' | 'Always';
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  priorityClassName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    runAsGroup?: number;
    fsGroup?: number;
    seccompProfile?: { type: 'RuntimeDefault' | 'Localhost' | 'Unconfined' };
  };
  containers: Container[];
  volumes?: {
    name: string;
    persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
    emptyDir?: { sizeLimit?: string };
  }[];
}

export interface JobManifest {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: ObjectMeta & { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    /** Absent on an Indexed Job with backoffLimitPerIndex (the API server defaults it). */
    backoffLimit?: number;
    /** Indexed Jobs (multi-pod work): one pod per index, all at once. */
    completionMode?: 'Indexed';
    completions?: number;
    parallelism?: number;
    backoffLimitPerIndex?: number;
    suspend?: boolean;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    template: { metadata: ObjectMeta; spec: PodSpec };
  };
}

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: Date | string };
  terminated?: { reason?: string; message?: string; exitCode?: number };
}

/** What the status mapper reads from a Pod. */
export interface PodView {
  metadata?: ObjectMeta;
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Condition[];
    containerStatuses?: { name?: string; state?: ContainerState; lastState?: ContainerState }[];
  };
}

/** What the status mapper reads from a Job. */
export interface JobView {
  metadata?: ObjectMeta;
  /** `suspend`: created suspended for Kueue, which unsuspends it when its queue admits it. */
  spec?: { suspend?: boolean };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    /** Indexed Jobs: "1,3-5,7" (completed) and, with backoffLimitPerIndex, the failed ones. */
    completedIndexes?: string;
    failedIndexes?: string;
    conditions?: Condition[];
  };
}
