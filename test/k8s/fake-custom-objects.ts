/**
 * Custom resources for the test API server (fake-apiserver.ts), for the CRDs in k8s/base/crds,
 * with the semantics of k8s.io/apiextensions-apiserver and the generic registry that the
 * operator and kubectl rely on:
 *
 *   - create (POST; 409 AlreadyExists; `generateName`), get, list, watch (resourceVersion replay,
 *     410 Expired after compaction, as for Jobs), replace (PUT), merge patch
 *     (application/merge-patch+json) and JSON patch (application/json-patch+json, with `test`),
 *     delete; the server's global resourceVersion on every write;
 *   - optimistic concurrency: a PUT or patch whose body carries a resourceVersion other than the
 *     stored one answers 409 Conflict ("the object has been modified");
 *   - the status subresource: writes to the resource ignore `status` (create drops it), writes
 *     to /status change only `status`;
 *   - metadata.generation starts at 1 and is bumped when anything but metadata and status
 *     changes;
 *   - finalizers: DELETE of an object with finalizers sets deletionTimestamp (MODIFIED) and the
 *     object goes (DELETED) when a write empties the list; no finalizer may be added then;
 *   - the CRD's structural schema (crd-schema.ts): pruning, defaults, validation -> 422 Invalid
 *     Status with causes; fieldValidation=Strict turns unknown fields into a 400;
 *   - discovery (/apis, /apis/<group>, /apis/<group>/<version>) and the server-side Table of the
 *     printer columns (Accept: application/json;as=Table;g=meta.k8s.io;v=v1), so the real kubectl
 *     can `apply` and `get` against it;
 *   - core/v1 Events (create, list): what the operator records.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { readJson, sendJson, sendStatus, statusObject } from './api-json';
import { cell, CrdSchema, loadCrds, type Crd } from './crd-schema';

export interface CustomObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    creationTimestamp: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    generateName?: string;
    managedFields?: unknown[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Stored {
  rv: number;
  type: EventType;
  plural: string;
  object: CustomObject;
}

interface Watcher {
  plural: string;
  namespace: string;
  res: ServerResponse;
}

const clone = <T>(o: T): T => structuredClone(o);
const line = (o: unknown) => `${JSON.stringify(o)}\n`;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

class PatchError extends Error {}

/** RFC 6902 JSON patch (add, remove, replace, test; what clients send to the API server). */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch is an array of operations');
  let doc = clone(target);
  for (const op of ops as { op: string; path: string; value?: unknown }[]) {
    const keys = op.path
      .split('/')
      .slice(1)
      .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (keys.length === 0) {
      if (op.op === 'test') {
        if (JSON.stringify(doc) !== JSON.stringify(op.value)) throw new PatchError('test failed');
        continue;
      }
      doc = clone(op.value);
      continue;
    }
    let parent: unknown = doc;
    for (const k of keys.slice(0, -1)) {
      parent = (parent as Record<string, unknown>)?.[k];
      if (parent === undefined || parent === null)
        throw new PatchError(`doc is missing path: ${op.path}`);
    }
    const last = keys[keys.length - 1];
    const container = parent as Record<string, unknown> | unknown[];
    const current = Array.isArray(container)
      ? container[last === '-' ? container.length : Number(last)]
      : container[last];
    switch (op.op) {
      case 'test':
        if (JSON.stringify(current) !== JSON.stringify(op.value))
          throw new PatchError(`testing value ${op.path} failed`);
        break;
      case 'remove':
        if (current === undefined)
          throw new PatchError(`unable to remove nonexistent key: ${last}`);
        if (Array.isArray(container)) container.splice(Number(last), 1);
        else delete container[last];
        break;
      case 'replace':
        if (current === undefined)
          throw new PatchError(`replace operation does not apply: doc is missing key: ${op.path}`);
        if (Array.isArray(container)) container[Number(last)] = clone(op.value);
        else container[last] = clone(op.value);
        break;
      case 'add':
        if (Array.isArray(container)) {
          if (last === '-') container.push(clone(op.value));
          else container.splice(Number(last), 0, clone(op.value));
        } else container[last] = clone(op.value);
        break;
      default:
        throw new PatchError(`unsupported operation: ${op.op}`);
    }
  }
  return doc;
}

interface Kind {
  crd: Crd;
  schema: CrdSchema;
  group: string;
  version: string;
  plural: string;
}

/** `5m`, `2h`: the age the API server renders for a printer column of type date. */
function age(timestamp: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export class FakeCustomObjects {
  private readonly kinds = new Map<string, Kind>();
  private readonly store = new Map<string, CustomObject>();
  private readonly history: Stored[] = [];
  private readonly watchers = new Set<Watcher>();
  private compactedRv = 0;
  /** core/v1 Events created by clients (the operator), oldest first. */
  readonly events: Record<string, unknown>[] = [];

  constructor(
    private readonly nextResourceVersion: () => number,
    private readonly currentResourceVersion: () => number,
    crds: Crd[] = loadCrds(),
    private readonly historyLimit = 1000,
  ) {
    for (const crd of crds)
      for (const v of crd.spec.versions.filter((x) => x.served))
        this.kinds.set(`${crd.spec.group}/${v.name}/${crd.spec.names.plural}`, {
          crd,
          schema: new CrdSchema(crd, v),
          group: crd.spec.group,
          version: v.name,
          plural: crd.spec.names.plural,
        });
  }

  /** Whether a request path is this module's: discovery, a CRD group's resources, Events. */
  handles(path: string): boolean {
    return (
      path === '/api' ||
      path === '/api/v1' ||
      path === '/apis' ||
      /^\/api\/v1\/namespaces\/[^/]+\/events$/.test(path) ||
      [...this.kinds.values()].some((k) => path.startsWith(`/apis/${k.group}`))
    );
  }

  // ---- direct access for tests --------------------------------------------------------------

  get(plural: string, namespace: string, name: string): CustomObject | undefined {
    const o = this.store.get(`${plural}/${namespace}/${name}`);
    return o ? clone(o) : undefined;
  }

  list(plural: string, namespace?: string): CustomObject[] {
    return [...this.store.entries()]
      .filter(
        ([k, o]) =>
          k.startsWith(`${plural}/`) && (!namespace || o.metadata.namespace === namespace),
      )
      .map(([, o]) => clone(o));
  }

  /** Forget the event history: a watch resuming from before now gets 410 Expired. */
  compact(): void {
    this.compactedRv = this.currentResourceVersion();
    this.history.length = 0;
  }

  closeWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** The Table the API server answers `kubectl get <plural>` with (printer columns). */
  table(plural: string, namespace: string): Record<string, unknown> {
    const kind = this.kindByPlural(plural);
    const columns = kind.schema.version.additionalPrinterColumns ?? [];
    const now = Date.now();
    return {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: String(this.currentResourceVersion()) },
      columnDefinitions: [
        { name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 },
        ...columns.map((c) => ({
          name: c.name,
          type: c.type === 'date' ? 'string' : c.type,
          format: '',
          description: c.description ?? '',
          priority: c.priority ?? 0,
        })),
      ],
      rows: this.list(plural, namespace).map((o) => ({
        cells: [
          o.metadata.name,
          ...columns.map((c) => {
            if (c.type !== 'date') return cell(o, c);
            const t = cell(o, c);
            return typeof t === 'string' ? age(t, now) : null;
          }),
        ],
        object: {
          kind: 'PartialObjectMetadata',
          apiVersion: 'meta.k8s.io/v1',
          metadata: o.metadata,
        },
      })),
    };
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams.entries());
    const method = req.method ?? 'GET';
    if (path === '/api' || path === '/api/v1' || path === '/apis') return this.discovery(res, path);
    const ev = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(path);
    if (ev) return this.eventsEndpoint(req, res, ev[1]);
    const g = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (g) return this.groupDiscovery(res, g[1], g[2]);
    const m =
      /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/(status))?$/.exec(
        path,
      );
    const kind = m ? this.kinds.get(`${m[1]}/${m[2]}/${m[4]}`) : undefined;
    if (!m || !kind)
      return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
    const [, , , namespace, , name, sub] = m;
    if (!name) {
      if (method === 'GET' && query.watch === 'true')
        return this.watch(res, kind, namespace, query);
      if (method === 'GET') {
        if (/as=Table/.test(req.headers.accept ?? ''))
          return sendJson(res, 200, this.table(kind.plural, namespace));
        return sendJson(res, 200, {
          apiVersion: `${kind.group}/${kind.version}`,
          kind: kind.crd.spec.names.listKind,
          metadata: { resourceVersion: String(this.currentResourceVersion()) },
          items: this.list(kind.plural, namespace),
        });
      }
      if (method === 'POST') return this.create(res, kind, namespace, await readJson(req), query);
      return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not supported`);
    }
    const key = `${kind.plural}/${namespace}/${name}`;
    const existing = this.store.get(key);
    const notFound = () =>
      sendStatus(res, 404, 'NotFound', `${kind.plural}.${kind.group} "${name}" not found`, {
        name,
        group: kind.group,
        kind: kind.plural,
      });
    if (!existing) return notFound();
    if (method === 'GET') {
      if (/as=Table/.test(req.headers.accept ?? '')) {
        const t = this.table(kind.plural, namespace);
        (t as { rows: { cells: unknown[] }[] }).rows = (
          t as { rows: { cells: unknown[] }[] }
        ).rows.filter((r) => r.cells[0] === name);
        return sendJson(res, 200, t);
      }
      return sendJson(res, 200, existing);
    }
    if (method === 'DELETE') return sendJson(res, 200, this.delete(kind, existing));
    if (method === 'PUT' || method === 'PATCH') {
      const body = await readJson(req);
      let next: unknown;
      if (method === 'PUT') next = body;
      else {
        const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
        try {
          if (type === 'application/merge-patch+json') next = mergePatch(existing, body);
          else if (type === 'application/json-patch+json') next = jsonPatch(existing, body);
          else
            return sendStatus(
              res,
              415,
              'UnsupportedMediaType',
              `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json (got ${type})`,
            );
        } catch (e) {
          if (e instanceof PatchError)
            return sendStatus(
              res,
              422,
              'Invalid',
              `the server rejected our request due to an error in our request: ${e.message}`,
            );
          throw e;
        }
      }
      return this.update(res, kind, existing, next, sub === 'status', query);
    }
    return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not supported`);
  }

  private kindByPlural(plural: string): Kind {
    const k = [...this.kinds.values()].find((x) => x.plural === plural);
    if (!k) throw new Error(`no CRD for ${plural}`);
    return k;
  }

  private invalid(
    res: ServerResponse,
    kind: Kind,
    name: string,
    causes: { field: string; message: string; reason: string }[],
  ): void {
    sendStatus(
      res,
      422,
      'Invalid',
      `${kind.schema.kind}.${kind.group} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
      { name, group: kind.group, kind: kind.schema.kind, causes },
    );
  }

  /** Schema admission; false when it answered (422, or 400 for unknown fields under Strict). */
  private admit(
    res: ServerResponse,
    kind: Kind,
    obj: CustomObject,
    query: Record<string, string>,
  ): boolean {
    const { causes, unknown } = kind.schema.admit(obj, query.fieldValidation === 'Strict');
    if (query.fieldValidation === 'Strict' && unknown.length > 0) {
      sendStatus(
        res,
        400,
        'BadRequest',
        `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
      );
      return false;
    }
    if (causes.length > 0) {
      this.invalid(res, kind, obj.metadata?.name ?? '', causes);
      return false;
    }
    return true;
  }

  private create(
    res: ServerResponse,
    kind: Kind,
    namespace: string,
    body: unknown,
    query: Record<string, string>,
  ): void {
    if (!isRecord(body) || !isRecord(body.metadata))
      return sendStatus(res, 400, 'BadRequest', 'the body is not an object with metadata');
    const obj = clone(body) as CustomObject;
    if (obj.apiVersion !== `${kind.group}/${kind.version}` || obj.kind !== kind.schema.kind)
      return sendStatus(
        res,
        400,
        'BadRequest',
        `the API version in the data (${obj.apiVersion}) and kind (${obj.kind}) do not match ${kind.group}/${kind.version} ${kind.schema.kind}`,
      );
    if (!obj.metadata.name && obj.metadata.generateName)
      obj.metadata.name = `${obj.metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    const name = obj.metadata.name ?? '';
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253)
      return this.invalid(res, kind, name, [
        {
          reason: 'FieldValueInvalid',
          field: 'metadata.name',
          message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain`,
        },
      ]);
    // The status subresource: what a create says about status is dropped.
    if (kind.schema.hasStatus) delete obj.status;
    if (!this.admit(res, kind, obj, query)) return;
    const key = `${kind.plural}/${namespace}/${name}`;
    if (this.store.has(key))
      return sendStatus(
        res,
        409,
        'AlreadyExists',
        `${kind.plural}.${kind.group} "${name}" already exists`,
        {
          name,
          group: kind.group,
          kind: kind.plural,
        },
      );
    obj.metadata = {
      ...obj.metadata,
      name,
      namespace,
      uid: randomUUID(),
      generation: 1,
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    } as CustomObject['metadata'];
    delete obj.metadata.deletionTimestamp;
    sendJson(res, 201, this.write(kind, 'ADDED', obj));
  }

  private update(
    res: ServerResponse,
    kind: Kind,
    current: CustomObject,
    body: unknown,
    statusOnly: boolean,
    query: Record<string, string>,
  ): void {
    if (!isRecord(body)) return sendStatus(res, 400, 'BadRequest', 'the body is not an object');
    const incoming = clone(body) as CustomObject;
    const rv = incoming.metadata?.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== current.metadata.resourceVersion)
      return sendStatus(
        res,
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${kind.plural}.${kind.group} "${current.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name: current.metadata.name, group: kind.group, kind: kind.plural },
      );
    let next: CustomObject;
    if (statusOnly) {
      // /status changes status only; everything else stays as stored.
      next = { ...clone(current), status: incoming.status };
      if (next.status === undefined) delete next.status;
    } else {
      next = { ...incoming, metadata: { ...incoming.metadata } } as CustomObject;
      if (kind.schema.hasStatus) {
        if (current.status === undefined) delete next.status;
        else next.status = clone(current.status);
      }
      // Fields the server owns cannot be changed by a client.
      const m = current.metadata;
      Object.assign(next.metadata, {
        name: m.name,
        namespace: m.namespace,
        uid: m.uid,
        creationTimestamp: m.creationTimestamp,
        generation: m.generation,
        ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
      });
      if (!m.deletionTimestamp) delete next.metadata.deletionTimestamp;
      const added = (next.metadata.finalizers ?? []).filter(
        (f) => !(m.finalizers ?? []).includes(f),
      );
      if (m.deletionTimestamp && added.length > 0)
        return this.invalid(res, kind, m.name, [
          {
            reason: 'FieldValueForbidden',
            field: 'metadata.finalizers',
            message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"${added.join('", "')}"}`,
          },
        ]);
    }
    next.apiVersion = current.apiVersion;
    next.kind = current.kind;
    if (!this.admit(res, kind, next, query)) return;
    if (specOf(next) !== specOf(current))
      next.metadata.generation = current.metadata.generation + 1;
    if (next.metadata.finalizers?.length === 0) delete next.metadata.finalizers;
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) {
      // The last finalizer went: the object is deleted now.
      this.store.set(keyOf(kind, next), next);
      return sendJson(res, 200, this.remove(kind, next));
    }
    sendJson(res, 200, this.write(kind, 'MODIFIED', next));
  }

  private delete(kind: Kind, current: CustomObject): CustomObject {
    if (current.metadata.finalizers?.length) {
      if (current.metadata.deletionTimestamp) return clone(current);
      const next = clone(current);
      next.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      next.metadata.deletionGracePeriodSeconds = 0;
      return this.write(kind, 'MODIFIED', next);
    }
    return this.remove(kind, current);
  }

  private write(kind: Kind, type: EventType, obj: CustomObject): CustomObject {
    obj.metadata.resourceVersion = String(this.nextResourceVersion());
    this.store.set(keyOf(kind, obj), obj);
    this.record(type, kind.plural, obj);
    return clone(obj);
  }

  private remove(kind: Kind, obj: CustomObject): CustomObject {
    this.store.delete(keyOf(kind, obj));
    const gone = clone(obj);
    gone.metadata.resourceVersion = String(this.nextResourceVersion());
    this.record('DELETED', kind.plural, gone);
    return gone;
  }

  private record(type: EventType, plural: string, obj: CustomObject): void {
    const e: Stored = {
      rv: Number(obj.metadata.resourceVersion),
      type,
      plural,
      object: clone(obj),
    };
    this.history.push(e);
    if (this.history.length > this.historyLimit)
      this.compactedRv = (this.history.shift() as Stored).rv;
    for (const w of this.watchers)
      if (w.plural === plural && w.namespace === obj.metadata.namespace)
        w.res.write(line({ type, object: e.object }));
  }

  private watch(
    res: ServerResponse,
    kind: Kind,
    namespace: string,
    query: Record<string, string>,
  ): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const from = query.resourceVersion;
    if (from && from !== '0' && Number(from) < this.compactedRv) {
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
    if (!from || from === '0') {
      for (const o of this.list(kind.plural, namespace))
        res.write(line({ type: 'ADDED', object: o }));
    } else {
      for (const e of this.history)
        if (
          e.rv > Number(from) &&
          e.plural === kind.plural &&
          e.object.metadata.namespace === namespace
        )
          res.write(line({ type: e.type, object: e.object }));
    }
    const watcher: Watcher = { plural: kind.plural, namespace, res };
    this.watchers.add(watcher);
    const timeout = Number(query.timeoutSeconds ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('close', () => {
      if (timer) clearTimeout(timer);
      this.watchers.delete(watcher);
    });
  }

  private async eventsEndpoint(
    req: IncomingMessage,
    res: ServerResponse,
    namespace: string,
  ): Promise<void> {
    if (req.method === 'POST') {
      const body = await readJson(req);
      if (!isRecord(body) || !isRecord(body.involvedObject))
        return sendStatus(res, 400, 'BadRequest', 'an Event needs involvedObject');
      const meta = isRecord(body.metadata) ? body.metadata : {};
      const event = {
        ...body,
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          ...meta,
          name:
            (meta.name as string | undefined) ??
            `${String(meta.generateName ?? 'event.')}${randomBytes(8).toString('hex')}`,
          namespace,
          uid: randomUUID(),
          resourceVersion: String(this.nextResourceVersion()),
        },
      };
      this.events.push(event);
      return sendJson(res, 201, event);
    }
    if (req.method === 'GET')
      return sendJson(res, 200, {
        apiVersion: 'v1',
        kind: 'EventList',
        metadata: { resourceVersion: String(this.currentResourceVersion()) },
        items: this.events.filter(
          (e) => (e.metadata as { namespace: string }).namespace === namespace,
        ),
      });
    return sendStatus(res, 405, 'MethodNotAllowed', `${req.method} is not supported on events`);
  }

  private discovery(res: ServerResponse, path: string): void {
    if (path === '/api/v1')
      return sendJson(res, 200, {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [
          {
            name: 'pods',
            singularName: 'pod',
            namespaced: true,
            kind: 'Pod',
            verbs: ['get', 'list', 'watch'],
          },
          { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
          {
            name: 'events',
            singularName: 'event',
            namespaced: true,
            kind: 'Event',
            verbs: ['create', 'list'],
            shortNames: ['ev'],
          },
        ],
      });
    if (path === '/api')
      return sendJson(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
      });
    const groups = new Map<string, string[]>();
    for (const k of this.kinds.values())
      groups.set(k.group, [...new Set([...(groups.get(k.group) ?? []), k.version])]);
    sendJson(res, 200, {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => groupObject(name, versions)),
    });
  }

  private groupDiscovery(res: ServerResponse, group: string, version?: string): void {
    const kinds = [...this.kinds.values()].filter(
      (k) => k.group === group && (!version || k.version === version),
    );
    if (kinds.length === 0)
      return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
    if (!version)
      return sendJson(res, 200, {
        kind: 'APIGroup',
        apiVersion: 'v1',
        ...groupObject(group, [...new Set(kinds.map((k) => k.version))]),
      });
    const verbs = [
      'delete',
      'deletecollection',
      'get',
      'list',
      'patch',
      'create',
      'update',
      'watch',
    ];
    sendJson(res, 200, {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${group}/${version}`,
      resources: kinds.flatMap((k) => {
        const n = k.crd.spec.names;
        return [
          {
            name: n.plural,
            singularName: n.singular,
            namespaced: k.crd.spec.scope === 'Namespaced',
            kind: n.kind,
            verbs,
            shortNames: n.shortNames ?? [],
            categories: n.categories ?? [],
          },
          ...(k.schema.hasStatus
            ? [
                {
                  name: `${n.plural}/status`,
                  singularName: '',
                  namespaced: true,
                  kind: n.kind,
                  verbs: ['get', 'patch', 'update'],
                },
              ]
            : []),
        ];
      }),
    });
  }
}

function groupObject(name: string, versions: string[]) {
  return {
    name,
    versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
  };
}

function keyOf(kind: Kind, o: CustomObject): string {
  return `${kind.plural}/${o.metadata.namespace}/${o.metadata.name}`;
}

/** What metadata.generation follows: everything but metadata and status (key order aside). */
function specOf(o: CustomObject): string {
  const { metadata, status, ...rest } = o;
  void metadata;
  void status;
  return canonical(rest);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
