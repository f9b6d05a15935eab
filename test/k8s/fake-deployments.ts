/**
 * apps/v1 Deployments and core/v1 Services for the test API server (fake-apiserver.ts routes
 * them here), with the semantics the serving host relies on (k8s.io/apiserver generic registry):
 * create answers 201, or 409 AlreadyExists for an existing name, or 422 Invalid when the object
 * fails the OpenAPI schema (kubernetes-models) or a Deployment's selector does not match its
 * template's labels; get/list (label selectors)/delete; replace (PUT) needs the stored
 * resourceVersion (409 Conflict otherwise), keeps the uid and bumps `metadata.generation` when
 * the spec changes, as a real server does. Status is written by the test (`setReadyReplicas`),
 * standing in for the Deployment controller and kubelets this fake does not have.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { readJson, sendJson, sendStatus } from './api-json';
import { parseSelector } from './fake-apiserver';

type Kind = 'deployments' | 'services';
type Obj = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

const PATH =
  /^\/(?:apis\/apps\/v1|api\/v1)\/namespaces\/([^/]+)\/(deployments|services)(?:\/([^/]+))?$/;

export class FakeDeployments {
  private readonly store: Record<Kind, Map<string, Obj>> = {
    deployments: new Map(),
    services: new Map(),
  };

  constructor(private readonly nextResourceVersion: () => string) {}

  /** The route this module answers, or null (the API server's other routes). */
  match(pathname: string): { namespace: string; kind: Kind; name?: string } | null {
    const m = PATH.exec(pathname);
    if (!m) return null;
    const kind = m[2] as Kind;
    const apps = pathname.startsWith('/apis/apps/v1');
    if ((kind === 'deployments') !== apps) return null;
    return { namespace: m[1], kind, ...(m[3] ? { name: m[3] } : {}) };
  }

  get(kind: Kind, namespace: string, name: string): Obj | undefined {
    const o = this.store[kind].get(`${namespace}/${name}`);
    return o ? structuredClone(o) : undefined;
  }

  list(kind: Kind, namespace: string): Obj[] {
    return [...this.store[kind].values()]
      .filter((o) => o.metadata.namespace === namespace)
      .map((o) => structuredClone(o));
  }

  /** What the Deployment controller would report once `ready` pods pass their probe. */
  setReadyReplicas(namespace: string, name: string, ready: number): void {
    const o = this.store.deployments.get(`${namespace}/${name}`);
    if (!o) throw new Error(`no deployment ${namespace}/${name}`);
    o.status = {
      observedGeneration: o.metadata.generation,
      replicas: (o.spec as { replicas: number }).replicas,
      readyReplicas: ready,
      availableReplicas: ready,
    };
    o.metadata.resourceVersion = this.nextResourceVersion();
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    route: { namespace: string; kind: Kind; name?: string },
  ): Promise<void> {
    const { namespace, kind, name } = route;
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://x');
    if (!name) {
      if (method === 'GET') {
        const sel = parseSelector(url.searchParams.get('labelSelector') ?? '');
        const items = this.list(kind, namespace).filter((o) => sel(o.metadata.labels ?? {}));
        return sendJson(res, 200, {
          apiVersion: kind === 'deployments' ? 'apps/v1' : 'v1',
          kind: kind === 'deployments' ? 'DeploymentList' : 'ServiceList',
          metadata: { resourceVersion: this.nextResourceVersion() },
          items,
        });
      }
      if (method === 'POST') return this.create(res, namespace, kind, await readJson(req));
      return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not supported on ${kind}`);
    }
    const key = `${namespace}/${name}`;
    const existing = this.store[kind].get(key);
    if (!existing) {
      return sendStatus(
        res,
        404,
        'NotFound',
        `${kind}${kind === 'deployments' ? '.apps' : ''} "${name}" not found`,
        {
          name,
          kind,
        },
      );
    }
    if (method === 'GET') return sendJson(res, 200, existing);
    if (method === 'DELETE') {
      this.store[kind].delete(key);
      return sendJson(res, 200, existing);
    }
    if (method === 'PUT') return this.replace(res, existing, await readJson(req));
    return sendStatus(
      res,
      405,
      'MethodNotAllowed',
      `${method} is not supported on ${kind}/${name}`,
    );
  }

  private invalid(kind: Kind, body: unknown): string | null {
    try {
      if (kind === 'deployments') {
        new Deployment(body as ConstructorParameters<typeof Deployment>[0]).validate();
        const d = body as Obj & {
          spec: {
            selector: { matchLabels?: Record<string, string> };
            template: { metadata?: { labels?: Record<string, string> } };
          };
        };
        const labels = d.spec.template.metadata?.labels ?? {};
        for (const [k, v] of Object.entries(d.spec.selector.matchLabels ?? {})) {
          if (labels[k] !== v)
            return `spec.template.metadata.labels: must match the selector (${k}=${v})`;
        }
      } else {
        new Service(body as ConstructorParameters<typeof Service>[0]).validate();
      }
    } catch (err) {
      return String(err);
    }
    const name = (body as Obj).metadata?.name ?? '';
    const dns =
      kind === 'services' ? /^[a-z]([-a-z0-9]*[a-z0-9])?$/ : /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
    if (!dns.test(name) || name.length > 63) return `metadata.name: Invalid value: "${name}"`;
    return null;
  }

  private create(res: ServerResponse, namespace: string, kind: Kind, body: unknown): void {
    const problem = this.invalid(kind, body);
    if (problem) return sendStatus(res, 422, 'Invalid', problem);
    const obj = structuredClone(body) as Obj;
    const key = `${namespace}/${obj.metadata.name}`;
    if (this.store[kind].has(key)) {
      return sendStatus(res, 409, 'AlreadyExists', `${kind} "${obj.metadata.name}" already exists`);
    }
    obj.metadata.namespace = namespace;
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString();
    obj.metadata.resourceVersion = this.nextResourceVersion();
    obj.metadata.generation = 1;
    if (kind === 'services') (obj.spec as Record<string, unknown>).clusterIP = '10.96.0.10';
    this.store[kind].set(key, obj);
    sendJson(res, 201, obj);
  }

  private replace(res: ServerResponse, existing: Obj, body: unknown): void {
    const kind: Kind = existing.kind === 'Deployment' ? 'deployments' : 'services';
    const problem = this.invalid(kind, body);
    if (problem) return sendStatus(res, 422, 'Invalid', problem);
    const next = structuredClone(body) as Obj;
    if (next.metadata.resourceVersion !== existing.metadata.resourceVersion) {
      return sendStatus(
        res,
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${kind} "${existing.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify(existing.spec);
    next.metadata = {
      ...next.metadata,
      namespace: existing.metadata.namespace,
      uid: existing.metadata.uid,
      creationTimestamp: existing.metadata.creationTimestamp,
      resourceVersion: this.nextResourceVersion(),
      generation: (existing.metadata.generation ?? 1) + (specChanged ? 1 : 0),
    };
    next.status = existing.status;
    this.store[kind].set(`${existing.metadata.namespace}/${existing.metadata.name}`, next);
    sendJson(res, 200, next);
  }
}
