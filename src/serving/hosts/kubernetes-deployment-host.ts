import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1Service,
} from '@kubernetes/client-node';
import { apiStatus, describeError } from '../../deploy/api-errors';
import type { JobSpecConfig } from '../../deploy/core/job-spec';
import { UnavailableError } from '../../platform/errors/domain-error';
import type { DropReason } from '../core/batcher';
import {
  DeploymentStoppedError,
  QueueFullError,
  RequestTimeoutError,
} from '../core/serving-errors';
import {
  ANNOTATION_GENERATION,
  buildServingDeployment,
  buildServingService,
  LABEL_DEPLOYMENT_ID,
  servingObjectName,
  servingSelector,
  servingUrl,
} from '../core/k8s-serving';
import type { PredictResult } from '../runtime/deployment-runtime';
import type { DeploymentHost, HostedDeployment, HostStatus } from './deployment-host.port';

/** Longest a forwarded predict may take beyond its own deadline (the pod answers 503 first). */
const FORWARD_TIMEOUT_MS = 60_000;

export interface KubernetesHostOptions {
  /** Read at first use: an unreadable kubeconfig fails a request, not the module graph. */
  kubeConfig: KubeConfig | (() => KubeConfig);
  config: JobSpecConfig;
  /** Where a deployment's server is reached; default its Service's cluster DNS name. */
  endpoint?: (id: string) => string;
}

/**
 * Deployments as Kubernetes objects (kubernetes executor): an apps/v1 Deployment (replicas =
 * instances) and a Service per row (core/k8s-serving.ts). `apply` creates them or replaces the
 * Deployment with the new replica count (a conflict from another API replica applying the same
 * row is left to the next pass); batching and queue changes reach the pods through the row,
 * which each pod's server polls, so they need no rollout. Predict requests are forwarded to the
 * Service; the pods answer shedding as 429/503, which become the same typed errors here.
 */
export class KubernetesDeploymentHost implements DeploymentHost {
  readonly kind = 'kubernetes' as const;
  private clients?: { apps: AppsV1Api; core: CoreV1Api };
  private readonly endpoint: (id: string) => string;

  constructor(private readonly options: KubernetesHostOptions) {
    this.endpoint = options.endpoint ?? ((id) => servingUrl(id, options.config.namespace));
  }

  private get api(): { apps: AppsV1Api; core: CoreV1Api } {
    if (!this.clients) {
      const kc =
        typeof this.options.kubeConfig === 'function'
          ? this.options.kubeConfig()
          : this.options.kubeConfig;
      this.clients = { apps: kc.makeApiClient(AppsV1Api), core: kc.makeApiClient(CoreV1Api) };
    }
    return this.clients;
  }

  private get apps(): AppsV1Api {
    return this.api.apps;
  }

  private get core(): CoreV1Api {
    return this.api.core;
  }

  private get namespace(): string {
    return this.options.config.namespace;
  }

  async apply(d: HostedDeployment): Promise<void> {
    const object = {
      id: d.id,
      projectId: d.projectId,
      name: d.name,
      instances: d.config.instances,
      generation: d.generation,
    };
    const deployment = buildServingDeployment(object, this.options.config) as V1Deployment;
    const service = buildServingService(object, this.options.config) as V1Service;
    const name = servingObjectName(d.id);
    const namespace = this.namespace;
    try {
      const current = await this.read(name);
      if (!current) {
        await this.apps.createNamespacedDeployment({ namespace, body: deployment });
      } else if (generationOf(current) < d.generation) {
        deployment.metadata = {
          ...deployment.metadata,
          resourceVersion: current.metadata?.resourceVersion,
        };
        await this.apps.replaceNamespacedDeployment({ name, namespace, body: deployment });
      }
      try {
        await this.core.readNamespacedService({ name, namespace });
      } catch (err) {
        if (apiStatus(err) !== 404) throw err;
        await this.core.createNamespacedService({ namespace, body: service });
      }
    } catch (err) {
      if (apiStatus(err) === 409) return; // another replica applied it first
      throw new UnavailableError(`Kubernetes refused deployment ${d.name}: ${describeError(err)}`);
    }
  }

  async remove(id: string): Promise<void> {
    const name = servingObjectName(id);
    const namespace = this.namespace;
    for (const del of [
      () =>
        this.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Background' }),
      () => this.core.deleteNamespacedService({ name, namespace }),
    ]) {
      try {
        await del();
      } catch (err) {
        if (apiStatus(err) !== 404) {
          throw new UnavailableError(`Kubernetes refused deleting ${name}: ${describeError(err)}`);
        }
      }
    }
  }

  async status(id: string): Promise<HostStatus> {
    let d: V1Deployment | null;
    try {
      d = await this.read(servingObjectName(id));
    } catch (err) {
      return { state: 'failed', generation: 0, error: describeError(err) };
    }
    if (!d) return { state: 'absent', generation: 0 };
    const desired = d.spec?.replicas ?? 0;
    const ready = d.status?.readyReplicas ?? 0;
    return {
      state: ready > 0 ? 'running' : 'starting',
      generation: generationOf(d),
      replicas: { desired, ready },
    };
  }

  async hosted(): Promise<string[]> {
    const list = await this.apps.listNamespacedDeployment({
      namespace: this.namespace,
      labelSelector: servingSelector(this.options.config.instance),
    });
    return list.items.flatMap((d) => {
      const id = d.metadata?.labels?.[LABEL_DEPLOYMENT_ID];
      return id ? [id] : [];
    });
  }

  async predict(id: string, sample: Float32Array, deadlineMs?: number): Promise<PredictResult> {
    let res: Response;
    try {
      res = await fetch(`${this.endpoint(id)}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          input: Array.from(sample),
          ...(deadlineMs !== undefined ? { deadlineMs } : {}),
        }),
        signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS + (deadlineMs ?? 0)),
      });
    } catch (err) {
      throw new UnavailableError(
        `the deployment's pods cannot be reached: ${(err as Error).message}`,
      );
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.ok) return body as unknown as PredictResult;
    const retry = Number(res.headers.get('retry-after') ?? 1);
    const reason = body.reason as DropReason | undefined;
    if (res.status === 429) throw new QueueFullError(Number(body.capacity ?? 0), retry);
    if (reason === 'timeout' || reason === 'deadline') {
      throw new RequestTimeoutError(reason, Number(body.waitedMs ?? 0), retry);
    }
    if (reason === 'stopped') throw new DeploymentStoppedError(retry);
    throw new UnavailableError(
      `the deployment answered ${res.status}: ${String(body.detail ?? '')}`,
    );
  }

  async close(): Promise<void> {
    // The cluster keeps serving; nothing of this process to stop.
  }

  private async read(name: string): Promise<V1Deployment | null> {
    try {
      return await this.apps.readNamespacedDeployment({ name, namespace: this.namespace });
    } catch (err) {
      if (apiStatus(err) === 404) return null;
      throw err;
    }
  }
}

function generationOf(d: V1Deployment): number {
  return Number(d.metadata?.annotations?.[ANNOTATION_GENERATION] ?? 0);
}
