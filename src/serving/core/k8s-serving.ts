/**
 * A deployment on Kubernetes (docs/serving.md, "Kubernetes"): an apps/v1 Deployment of the worker
 * image running `autodl serve-deployment --id <id>` (the same batcher and runtime as the local
 * host, one model instance per pod) with `replicas = instances`, and a ClusterIP Service in front.
 * The pod spec is the job pods' (src/deploy/core/job-spec.ts: image, env, artifact volume,
 * resources of kind `serving`, GPU scheduling, restricted security context) made long-running.
 */
import {
  buildJobManifest,
  type JobSpecConfig,
  LABEL_COMPONENT,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  LABEL_PROJECT,
} from '../../deploy/core/job-spec';
import type { Container, ObjectMeta, PodSpec } from '../../deploy/core/k8s-types';

export const SERVING_MANAGED_BY = 'autodl-serving';
export const LABEL_DEPLOYMENT_ID = 'autodl.io/deployment-id';
/** On the Deployment's own metadata (not the pod template): the row generation it reflects. */
export const ANNOTATION_GENERATION = 'autodl.io/generation';
/** The job kind whose resources (AUTODL_K8S_KIND_RESOURCES) a serving pod requests. */
export const SERVING_KIND = 'serving';
export const SERVING_PORT = 8080;
export const SERVING_CONTAINER = 'server';

export interface ServingObject {
  id: string;
  projectId: string;
  name: string;
  instances: number;
  generation: number;
}

export type ServingContainer = Container & {
  ports: { name: string; containerPort: number; protocol: 'TCP' }[];
  readinessProbe: Record<string, unknown>;
  lifecycle: Record<string, unknown>;
};

export interface DeploymentManifest {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: ObjectMeta & { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    strategy: {
      type: 'RollingUpdate';
      rollingUpdate: { maxUnavailable: number; maxSurge: number };
    };
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: Omit<PodSpec, 'containers'> & {
        containers: ServingContainer[];
        terminationGracePeriodSeconds: number;
      };
    };
  };
}

export interface ServiceManifest {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: ObjectMeta & { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    type: 'ClusterIP';
    selector: Record<string, string>;
    ports: { name: string; port: number; targetPort: string; protocol: 'TCP' }[];
  };
}

/** `autodl-dep-<id>`: a DNS-1035 label (a Service name must start with a letter), <= 63. */
export function servingObjectName(id: string): string {
  return `autodl-dep-${id.toLowerCase()}`;
}

/** The selector of every serving object of this service instance. */
export function servingSelector(instance: string): string {
  return `${LABEL_MANAGED_BY}=${SERVING_MANAGED_BY},${LABEL_INSTANCE}=${instance}`;
}

/** The in-cluster URL of a deployment's Service. */
export function servingUrl(id: string, namespace: string): string {
  return `http://${servingObjectName(id)}.${namespace}.svc:80`;
}

function labels(d: ServingObject, config: JobSpecConfig): Record<string, string> {
  return {
    [LABEL_NAME]: 'autodl',
    [LABEL_INSTANCE]: config.instance,
    [LABEL_COMPONENT]: 'serving',
    [LABEL_MANAGED_BY]: SERVING_MANAGED_BY,
    [LABEL_DEPLOYMENT_ID]: d.id.toLowerCase(),
    [LABEL_PROJECT]: d.projectId.toLowerCase(),
  };
}

export function buildServingDeployment(
  d: ServingObject,
  config: JobSpecConfig,
): DeploymentManifest {
  const name = servingObjectName(d.id);
  const podLabels = labels(d, config);
  const job = buildJobManifest(
    { id: d.id, projectId: d.projectId, kind: SERVING_KIND, attempt: 0 },
    { ...config, queueName: null },
  );
  const jobPod = job.spec.template.spec;
  const base = jobPod.containers[0];
  const container: ServingContainer = {
    ...base,
    name: SERVING_CONTAINER,
    command: ['node', 'bin/autodl.js', 'serve-deployment', '--id', d.id],
    // A job pod's identity variables mean nothing here; the port is the server's.
    env: [
      ...(base.env ?? []).filter((e) => !e.name.startsWith('AUTODL_JOB_')),
      { name: 'PORT', value: String(SERVING_PORT) },
    ],
    ports: [{ name: 'http', containerPort: SERVING_PORT, protocol: 'TCP' }],
    // Ready once the model instance is warmed: the Service sends nothing to a loading pod.
    readinessProbe: {
      httpGet: { path: '/healthz', port: 'http' },
      periodSeconds: 2,
      failureThreshold: 2,
    },
    // The endpoint leaves the Service before SIGTERM, so no new request reaches a stopping pod;
    // on SIGTERM the server drains its queue and running batch (serve-deployment.ts).
    lifecycle: { preStop: { sleep: { seconds: 5 } } },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: config.namespace,
      labels: podLabels,
      annotations: { [ANNOTATION_GENERATION]: String(d.generation) },
    },
    spec: {
      replicas: d.instances,
      selector: { matchLabels: { [LABEL_DEPLOYMENT_ID]: d.id.toLowerCase() } },
      // Scale-ups and rollouts never take a serving pod away before its replacement is ready.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: podLabels,
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(SERVING_PORT),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          ...jobPod,
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 40,
          containers: [container],
        },
      },
    },
  };
}

export function buildServingService(d: ServingObject, config: JobSpecConfig): ServiceManifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: servingObjectName(d.id),
      namespace: config.namespace,
      labels: labels(d, config),
    },
    spec: {
      type: 'ClusterIP',
      selector: { [LABEL_DEPLOYMENT_ID]: d.id.toLowerCase() },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}
