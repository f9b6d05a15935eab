/**
 * A test double of the Kubernetes API server: node:http speaking the REST/JSON protocol that
 * `@kubernetes/client-node` uses, for the resources the executor touches.
 *
 *   batch/v1 jobs: create (201; 409 AlreadyExists; 422 Invalid after OpenAPI validation with
 *     kubernetes-models), get, list, delete (propagationPolicy Background/Foreground/Orphan), watch
 *   core/v1 pods: list, get, watch, pods/log (follow streams until the container ends)
 *   coordination.k8s.io/v1 leases: get, list, create, replace, delete (fake-leases.ts)
 *   autodl.io custom resources from k8s/base/crds, discovery, core/v1 events
 *     (fake-custom-objects.ts)
 *
 * Protocol details kept from the real server (k8s.io/apiserver): a global, monotonically
 * increasing resourceVersion; list returns it in metadata; `watch=true&resourceVersion=N`
 * replays the events after N then streams new ones as newline-delimited JSON; a
 * resourceVersion older than the retained window answers HTTP 200 with one `ERROR` event
 * carrying a 410 Expired Status and closes (what the informer must turn into a relist);
 * `resourceVersion` unset or "0" starts with synthetic ADDED events; `timeoutSeconds` closes
 * the stream; label selectors (=, ==, !=, exists, !exists, in, notin); errors are Status
 * objects; a bearer token is required (401 otherwise).
 *
 * It is NOT a cluster: no scheduler, kubelet or garbage collector. Pods come from the scripted
 * controller (scripted-controller.ts). docs/deploy.md lists what only a real cluster checks.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { readJson, sendJson, sendStatus, statusObject } from './api-json';
import { FakeCustomObjects } from './fake-custom-objects';
import { FakeLeases } from './fake-leases';
import { FakeDeployments } from './fake-deployments';
import { indexedJobProblems } from './fake-indexed-jobs';

export type K8sObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    /** Indexed Job pods carry their completion index here (fake-indexed-jobs.ts). */
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
    generateName?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

type Resource = 'jobs' | 'pods';
type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface StoredEvent {
  rv: number;
  type: EventType;
  resource: Resource;
  object: K8sObject;
}

interface Watcher {
  resource: Resource;
  namespace: string;
  selector: Selector;
  res: ServerResponse;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
}

export type JobListener = (event: EventType, job: K8sObject) => void;

export const TEST_TOKEN = 'autodl-test-token';

export class FakeApiServer {
  private readonly server: Server;
  private readonly store: Record<Resource, Map<string, K8sObject>> = {
    jobs: new Map(),
    pods: new Map(),
  };
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly logs = new Map<string, { text: string; done: boolean; started: boolean }>();
  private readonly logFollowers = new Map<string, Set<ServerResponse>>();
  private readonly jobListeners: JobListener[] = [];
  private rv = 100;
  /** Events at or below this resourceVersion are gone; older watches get 410. */
  private compactedRv = 100;
  /** The next this many watch requests fail with 500 (an API server restarting). */
  failWatches = 0;
  /** Watches answered with 410 Expired. */
  expiredWatches = 0;
  /**
   * Serve requests without a token too: kubectl (client-go) never sends a bearer token over
   * plain http, so a test that drives the real kubectl turns this on.
   */
  acceptAnonymous = false;
  /** Every request, for asserting on the protocol the client really used. */
  readonly requests: RequestRecord[] = [];
  /** coordination.k8s.io/v1 Leases (leader election). */
  readonly leases = new FakeLeases(() => String(++this.rv));
  /** apps/v1 Deployments and core/v1 Services (serving; fake-deployments.ts). */
  readonly deployments = new FakeDeployments(() => String(++this.rv));
  /** Study/FineTune custom resources (k8s/base/crds), discovery, Events. */
  readonly customObjects = new FakeCustomObjects(
    () => ++this.rv,
    () => this.rv,
  );
  url = '';

  constructor(private readonly historyLimit = 1000) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        sendStatus(res, 500, 'InternalError', String(err));
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.closeWatches();
    for (const set of this.logFollowers.values()) for (const r of set) r.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Called for every Job write; the scripted controller reacts to these. */
  onJob(listener: JobListener): void {
    this.jobListeners.push(listener);
  }

  // ---- direct store access for the controller and for assertions -------------------------

  get(resource: Resource, namespace: string, name: string): K8sObject | undefined {
    const obj = this.store[resource].get(`${namespace}/${name}`);
    return obj ? clone(obj) : undefined;
  }

  list(resource: Resource, namespace?: string, selector = ''): K8sObject[] {
    const sel = parseSelector(selector);
    return [...this.store[resource].values()]
      .filter((o) => (namespace ? o.metadata.namespace === namespace : true))
      .filter((o) => sel(o.metadata.labels ?? {}))
      .map(clone);
  }

  create(resource: Resource, namespace: string, input: K8sObject): K8sObject {
    const obj = clone(input);
    obj.metadata.namespace = namespace;
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString();
    return this.write(resource, 'ADDED', obj);
  }

  /** Replace an object (controller status updates). Returns undefined if it is gone. */
  update(
    resource: Resource,
    namespace: string,
    name: string,
    mutate: (o: K8sObject) => void,
  ): K8sObject | undefined {
    const current = this.store[resource].get(`${namespace}/${name}`);
    if (!current) return undefined;
    const next = clone(current);
    mutate(next);
    return this.write(resource, 'MODIFIED', next);
  }

  remove(resource: Resource, namespace: string, name: string): K8sObject | undefined {
    const key = `${namespace}/${name}`;
    const current = this.store[resource].get(key);
    if (!current) return undefined;
    this.store[resource].delete(key);
    const gone = clone(current);
    gone.metadata.resourceVersion = String(++this.rv);
    this.record('DELETED', resource, gone);
    return gone;
  }

  /**
   * Output of a pod's container: its first container's unless `container` names another (a
   * multi-container pod's log, read with `?container=`, as the kubelet keeps one per container).
   */
  appendLog(namespace: string, pod: string, text: string, container?: string): void {
    const key = this.logKey(namespace, pod, container);
    const entry = this.logs.get(key) ?? { text: '', done: false, started: true };
    entry.started = true;
    entry.text += text;
    this.logs.set(key, entry);
    for (const r of this.logFollowers.get(key) ?? []) r.write(text);
  }

  /** What a container has logged so far (`kubectl logs -c <container>`). */
  logOf(namespace: string, pod: string, container?: string): string {
    return this.logs.get(this.logKey(namespace, pod, container))?.text ?? '';
  }

  endLog(namespace: string, pod: string, container?: string): void {
    const key = this.logKey(namespace, pod, container);
    const entry = this.logs.get(key) ?? { text: '', done: true, started: true };
    entry.done = true;
    this.logs.set(key, entry);
    for (const r of this.logFollowers.get(key) ?? []) r.end();
    this.logFollowers.delete(key);
  }

  /** Forget the event history (etcd compaction): any watch resuming from before now gets 410. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  /** End every open watch stream, as the server does when a watch times out. */
  closeWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    this.customObjects.closeWatches();
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams.entries());
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query });
    const anonymous = this.acceptAnonymous && req.headers.authorization === undefined;
    if (req.headers.authorization !== `Bearer ${TEST_TOKEN}` && !anonymous) {
      return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
    }
    const lease =
      /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/.exec(
        url.pathname,
      );
    if (lease) return this.leases.handle(req, res, lease[1], lease[2]);
    const served = this.deployments.match(url.pathname);
    if (served) return this.deployments.handle(req, res, served);
    if (this.customObjects.handles(url.pathname)) return this.customObjects.handle(req, res, url);
    const m =
      /^\/(?:apis\/batch\/v1|api\/v1)\/namespaces\/([^/]+)\/(jobs|pods)(?:\/([^/]+))?(?:\/(log))?$/.exec(
        url.pathname,
      );
    const group = url.pathname.startsWith('/apis/batch/v1') ? 'batch' : 'core';
    if (!m || (m[2] === 'jobs') !== (group === 'batch')) {
      return sendStatus(res, 404, 'NotFound', `the server could not find the requested resource`);
    }
    const [, namespace, resource, name, sub] = m as unknown as [
      string,
      string,
      Resource,
      string?,
      string?,
    ];
    const method = req.method ?? 'GET';
    if (sub === 'log') {
      if (resource !== 'pods' || !name || method !== 'GET')
        return sendStatus(res, 405, 'MethodNotAllowed', 'method not allowed');
      return this.podLog(res, namespace, name, query);
    }
    if (!name) {
      if (method === 'GET' && query.watch === 'true') {
        if (this.failWatches > 0) {
          this.failWatches -= 1;
          return sendStatus(res, 500, 'InternalError', 'etcdserver: leader changed');
        }
        return this.watch(res, resource, namespace, query);
      }
      if (method === 'GET')
        return this.sendList(res, resource, namespace, query.labelSelector ?? '');
      if (method === 'POST' && resource === 'jobs')
        return this.createJob(res, namespace, await readJson(req));
      return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not supported on ${resource}`);
    }
    const existing = this.store[resource].get(`${namespace}/${name}`);
    if (!existing) {
      const kind = resource === 'jobs' ? 'jobs.batch' : 'pods';
      return sendStatus(res, 404, 'NotFound', `${kind} "${name}" not found`, {
        name,
        kind: resource,
      });
    }
    if (method === 'GET') return sendJson(res, 200, existing);
    if (method === 'DELETE' && resource === 'jobs') {
      const body = await readJson(req);
      const policy =
        query.propagationPolicy ??
        (isRecord(body) && typeof body.propagationPolicy === 'string'
          ? body.propagationPolicy
          : 'Orphan');
      return sendJson(res, 200, this.deleteJob(namespace, name, policy));
    }
    return sendStatus(
      res,
      405,
      'MethodNotAllowed',
      `${method} is not supported on ${resource}/${name}`,
    );
  }

  private createJob(res: ServerResponse, namespace: string, body: unknown): void {
    if (!isRecord(body) || body.kind !== 'Job' || body.apiVersion !== 'batch/v1') {
      return sendStatus(res, 400, 'BadRequest', 'the body is not a batch/v1 Job');
    }
    const causes: { reason: string; message: string; field: string }[] = [];
    try {
      new Job(body as ConstructorParameters<typeof Job>[0]).validate();
    } catch (err) {
      causes.push({ reason: 'FieldValueInvalid', message: String(err), field: 'spec' });
    }
    const meta = isRecord(body.metadata) ? body.metadata : {};
    const name = typeof meta.name === 'string' ? meta.name : '';
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}"`,
        field: 'metadata.name',
      });
    }
    const containers = (body as { spec?: { template?: { spec?: { containers?: unknown[] } } } })
      .spec?.template?.spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.template.spec.containers',
      });
    }
    causes.push(...indexedJobProblems(body as Parameters<typeof indexedJobProblems>[0]));
    const restart = (body as { spec?: { template?: { spec?: { restartPolicy?: string } } } }).spec
      ?.template?.spec?.restartPolicy;
    if (restart !== 'Never' && restart !== 'OnFailure') {
      causes.push({
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: "${restart}": supported values: "OnFailure", "Never"`,
        field: 'spec.template.spec.restartPolicy',
      });
    }
    if (causes.length > 0) {
      return sendStatus(
        res,
        422,
        'Invalid',
        `Job.batch "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`,
        {
          name,
          group: 'batch',
          kind: 'Job',
          causes,
        },
      );
    }
    if (this.store.jobs.has(`${namespace}/${name}`)) {
      return sendStatus(res, 409, 'AlreadyExists', `jobs.batch "${name}" already exists`, {
        name,
        group: 'batch',
        kind: 'jobs',
      });
    }
    const created = this.create('jobs', namespace, { ...(body as K8sObject), status: {} });
    sendJson(res, 201, created);
  }

  private deleteJob(namespace: string, name: string, policy: string): K8sObject {
    const gone = this.remove('jobs', namespace, name) as K8sObject;
    if (policy !== 'Orphan') {
      // The garbage collector deletes the dependents after the owner (Background) or before it
      // (Foreground); both end with the pods gone, which is what the executor relies on.
      for (const pod of this.list('pods', namespace)) {
        if (pod.metadata.ownerReferences?.some((o) => o.uid === gone.metadata.uid)) {
          setImmediate(() => this.deletePod(namespace, pod.metadata.name));
        }
      }
    }
    return gone;
  }

  /** A pod deletion: a MODIFIED with deletionTimestamp (graceful termination), then DELETED. */
  deletePod(namespace: string, name: string): void {
    const now = new Date().toISOString();
    const pod = this.get('pods', namespace, name);
    if (!this.update('pods', namespace, name, (p) => (p.metadata.deletionTimestamp = now))) return;
    for (const c of containerNames(pod)) this.endLog(namespace, name, c);
    this.remove('pods', namespace, name);
  }

  private sendList(
    res: ServerResponse,
    resource: Resource,
    namespace: string,
    selector: string,
  ): void {
    sendJson(res, 200, {
      apiVersion: resource === 'jobs' ? 'batch/v1' : 'v1',
      kind: resource === 'jobs' ? 'JobList' : 'PodList',
      metadata: { resourceVersion: String(this.rv) },
      items: this.list(resource, namespace, selector),
    });
  }

  private watch(
    res: ServerResponse,
    resource: Resource,
    namespace: string,
    query: Record<string, string>,
  ): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    // Headers go out now: the client's fetch resolves on them before any event exists.
    res.flushHeaders();
    const selector = parseSelector(query.labelSelector ?? '');
    const from = query.resourceVersion;
    if (from && from !== '0' && Number(from) < this.compactedRv) {
      this.expiredWatches += 1;
      res.end(
        line({
          type: 'ERROR',
          object: statusObject(
            410,
            'Expired',
            `too old resource version: ${from} (${this.compactedRv})`,
          ),
        }),
      );
      return;
    }
    const watcher: Watcher = { resource, namespace, selector, res };
    if (!from || from === '0') {
      for (const o of this.list(resource, namespace)) {
        if (selector(o.metadata.labels ?? {})) res.write(line({ type: 'ADDED', object: o }));
      }
    } else {
      for (const e of this.history) {
        if (e.rv > Number(from) && matches(watcher, e))
          res.write(line({ type: e.type, object: e.object }));
      }
    }
    this.watchers.add(watcher);
    const timeout = Number(query.timeoutSeconds ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('close', () => {
      if (timer) clearTimeout(timer);
      this.watchers.delete(watcher);
    });
  }

  private podLog(
    res: ServerResponse,
    namespace: string,
    name: string,
    query: Record<string, string>,
  ): void {
    const pod = this.store.pods.get(`${namespace}/${name}`);
    if (!pod) return sendStatus(res, 404, 'NotFound', `pods "${name}" not found`);
    const names = containerNames(pod);
    if (names.length > 1 && !query.container)
      return sendStatus(
        res,
        400,
        'BadRequest',
        `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`,
      );
    if (query.container && names.length > 0 && !names.includes(query.container))
      return sendStatus(
        res,
        400,
        'BadRequest',
        `container ${query.container} is not valid for pod ${name}`,
      );
    const key = this.logKey(namespace, name, query.container);
    const entry = this.logs.get(key);
    if (!entry?.started) {
      return sendStatus(
        res,
        400,
        'BadRequest',
        `container "${query.container ?? 'worker'}" in pod "${name}" is waiting to start: ContainerCreating`,
      );
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    res.write(entry.text);
    if (query.follow !== 'true' || entry.done) {
      res.end();
      return;
    }
    const set = this.logFollowers.get(key) ?? new Set();
    set.add(res);
    this.logFollowers.set(key, set);
    res.on('close', () => set.delete(res));
  }

  /** The first container's log is the pod's key; another container's is suffixed with its name. */
  private logKey(namespace: string, pod: string, container?: string): string {
    const first = containerNames(this.store.pods.get(`${namespace}/${pod}`))[0];
    return container === undefined || container === first
      ? `${namespace}/${pod}`
      : `${namespace}/${pod}/${container}`;
  }

  private write(resource: Resource, type: EventType, obj: K8sObject): K8sObject {
    obj.apiVersion = resource === 'jobs' ? 'batch/v1' : 'v1';
    obj.kind = resource === 'jobs' ? 'Job' : 'Pod';
    obj.metadata.resourceVersion = String(++this.rv);
    this.store[resource].set(`${obj.metadata.namespace}/${obj.metadata.name}`, obj);
    this.record(type, resource, obj);
    return clone(obj);
  }

  private record(type: EventType, resource: Resource, obj: K8sObject): void {
    const event: StoredEvent = {
      rv: Number(obj.metadata.resourceVersion),
      type,
      resource,
      object: clone(obj),
    };
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.shift() as StoredEvent;
      this.compactedRv = dropped.rv;
    }
    for (const w of this.watchers) {
      if (matches(w, event)) w.res.write(line({ type, object: event.object }));
    }
    if (resource === 'jobs') for (const l of this.jobListeners) l(type, clone(obj));
  }
}

function matches(w: Watcher, e: StoredEvent): boolean {
  return (
    w.resource === e.resource &&
    w.namespace === e.object.metadata.namespace &&
    w.selector(e.object.metadata.labels ?? {})
  );
}

type Selector = (labels: Record<string, string>) => boolean;

/** Label selector grammar of k8s.io/apimachinery/pkg/labels (the subset without set-based nesting). */
export function parseSelector(text: string): Selector {
  const terms: Selector[] = [];
  // Split on commas that are not inside parentheses.
  for (const raw of text.split(/,(?![^(]*\))/)) {
    const t = raw.trim();
    if (!t) continue;
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t))) {
      const [, key, op, list] = m;
      const values = new Set(list.split(',').map((v) => v.trim()));
      terms.push((l) =>
        op === 'in' ? key in l && values.has(l[key]) : !(key in l) || !values.has(l[key]),
      );
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(t))) {
      const [, key, op, value] = m;
      terms.push((l) => (op === '!=' ? l[key] !== value : l[key] === value));
    } else if ((m = /^!([\w./-]+)$/.exec(t))) {
      const key = m[1];
      terms.push((l) => !(key in l));
    } else if ((m = /^([\w./-]+)$/.exec(t))) {
      const key = m[1];
      terms.push((l) => key in l);
    } else {
      throw new Error(`unable to parse requirement: ${t}`);
    }
  }
  return (labels) => terms.every((f) => f(labels));
}

function line(o: unknown): string {
  return `${JSON.stringify(o)}\n`;
}

function clone<T>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function containerNames(pod: K8sObject | undefined): string[] {
  const containers = (pod?.spec as { containers?: { name?: string }[] } | undefined)?.containers;
  return (containers ?? []).map((c) => c.name ?? '');
}
