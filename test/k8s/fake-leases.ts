/**
 * `coordination.k8s.io/v1` Leases for the test API server, with the semantics leader election
 * relies on (k8s.io/apiserver generic registry): create answers 409 AlreadyExists for an
 * existing name; a replace (PUT) carrying a resourceVersion other than the stored one answers
 * 409 Conflict ("the object has been modified"); every write bumps the server's global
 * resourceVersion; a missing Lease is a 404 Status; `acquireTime`/`renewTime` are MicroTime,
 * decoded with exactly six fractional digits (anything else is a 400, as from a real server).
 *
 * Fault injection for failover tests: `unreachableFor` makes every write whose holder is that
 * identity fail with 503 (a leader cut off from the API server), and reads from it cannot be
 * told apart, so they keep working, as for a client whose writes time out.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readJson, sendJson, sendStatus } from './api-json';

export interface LeaseObject {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
  };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const GROUP = 'coordination.k8s.io';
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;

export class FakeLeases {
  private readonly store = new Map<string, LeaseObject>();
  /** Writes that name these holders answer 503. */
  readonly unreachableFor = new Set<string>();

  constructor(private readonly nextResourceVersion: () => string) {}

  get(namespace: string, name: string): LeaseObject | undefined {
    const lease = this.store.get(`${namespace}/${name}`);
    return lease ? structuredClone(lease) : undefined;
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    namespace: string,
    name: string | undefined,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    if (!name) {
      if (method === 'POST') return this.create(res, namespace, await readJson(req));
      if (method === 'GET') {
        const items = [...this.store.values()].filter((l) => l.metadata.namespace === namespace);
        return sendJson(res, 200, {
          apiVersion: `${GROUP}/v1`,
          kind: 'LeaseList',
          metadata: { resourceVersion: this.nextResourceVersion() },
          items,
        });
      }
      return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not supported on leases`);
    }
    const key = `${namespace}/${name}`;
    const existing = this.store.get(key);
    if (!existing) return this.notFound(res, name);
    if (method === 'GET') return sendJson(res, 200, existing);
    if (method === 'PUT') return this.replace(res, existing, await readJson(req));
    if (method === 'DELETE') {
      this.store.delete(key);
      return sendJson(res, 200, existing);
    }
    return sendStatus(res, 405, 'MethodNotAllowed', `${method} is not supported on leases/${name}`);
  }

  private notFound(res: ServerResponse, name: string): void {
    sendStatus(res, 404, 'NotFound', `leases.${GROUP} "${name}" not found`, {
      name,
      group: GROUP,
      kind: 'leases',
    });
  }

  private create(res: ServerResponse, namespace: string, body: unknown): void {
    const input = asLease(body);
    if (!input)
      return sendStatus(res, 400, 'BadRequest', 'the body is not a coordination.k8s.io/v1 Lease');
    if (this.badTimes(res, input)) return;
    if (this.cutOff(res, input)) return;
    const key = `${namespace}/${input.name}`;
    if (this.store.has(key)) {
      return sendStatus(
        res,
        409,
        'AlreadyExists',
        `leases.${GROUP} "${input.name}" already exists`,
        {
          name: input.name,
          group: GROUP,
          kind: 'leases',
        },
      );
    }
    const lease: LeaseObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: input.name,
        namespace,
        uid: randomUUID(),
        resourceVersion: this.nextResourceVersion(),
        creationTimestamp: new Date().toISOString(),
      },
      spec: input.spec,
    };
    this.store.set(key, lease);
    sendJson(res, 201, lease);
  }

  private replace(res: ServerResponse, existing: LeaseObject, body: unknown): void {
    const input = asLease(body);
    const { name } = existing.metadata;
    if (!input || input.name !== name) {
      return sendStatus(res, 400, 'BadRequest', `the body is not the Lease ${name}`);
    }
    if (this.badTimes(res, input)) return;
    if (this.cutOff(res, input)) return;
    if (input.resourceVersion && input.resourceVersion !== existing.metadata.resourceVersion) {
      return sendStatus(
        res,
        409,
        'Conflict',
        `Operation cannot be fulfilled on leases.${GROUP} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: GROUP, kind: 'leases' },
      );
    }
    const next: LeaseObject = {
      ...existing,
      metadata: { ...existing.metadata, resourceVersion: this.nextResourceVersion() },
      spec: input.spec,
    };
    this.store.set(`${existing.metadata.namespace}/${name}`, next);
    sendJson(res, 200, next);
  }

  /** MicroTime fields decode with a fixed six-digit layout before validation runs. */
  private badTimes(res: ServerResponse, input: { spec: LeaseObject['spec'] }): boolean {
    for (const field of ['acquireTime', 'renewTime'] as const) {
      const value = input.spec[field];
      if (value === undefined || MICRO_TIME.test(value)) continue;
      sendStatus(
        res,
        400,
        'BadRequest',
        `Lease in version "v1" cannot be handled as a Lease: parsing time "${value}" as "2006-01-02T15:04:05.000000Z07:00"`,
      );
      return true;
    }
    return false;
  }

  private cutOff(res: ServerResponse, input: { spec: LeaseObject['spec'] }): boolean {
    if (!this.unreachableFor.has(input.spec.holderIdentity ?? '')) return false;
    sendStatus(
      res,
      503,
      'ServiceUnavailable',
      'the server is currently unable to handle the request',
    );
    return true;
  }
}

function asLease(
  body: unknown,
): { name: string; resourceVersion?: string; spec: LeaseObject['spec'] } | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Partial<LeaseObject> & {
    metadata?: { name?: unknown; resourceVersion?: unknown };
  };
  if (b.kind !== 'Lease' || b.apiVersion !== `${GROUP}/v1`) return null;
  if (typeof b.metadata?.name !== 'string' || b.metadata.name === '') return null;
  return {
    name: b.metadata.name,
    resourceVersion:
      typeof b.metadata.resourceVersion === 'string' ? b.metadata.resourceVersion : undefined,
    spec: (b.spec ?? {}) as LeaseObject['spec'],
  };
}
