import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Client } from 'pg';
import { startTestApp, TestApp } from '../support/app';

/**
 * Walks every route of the OpenAPI document and sends malformed requests (wrong types, missing
 * and extra fields, huge strings, bad ids, bad JSON, bad auth, NUL bytes, deep nesting,
 * prototype keys). The contract: never a 5xx, and nothing the service rejected changes the
 * database.
 */
interface Schema {
  $ref?: string;
  allOf?: Schema[];
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  items?: Schema;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface Route {
  method: string;
  path: string;
  op: Operation;
}

let app: TestApp;
let doc: {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

before(async () => {
  app = await startTestApp({ workers: 0, coordinators: 0, env: { AUTODL_BODY_LIMIT: '64kb' } });
  // Some real data for the fuzzer to not find: a job of this project.
  await app.post('/v1/jobs', { kind: 'sleep', spec: { steps: 1 } }).expect(202);
  doc = (await app.http.get('/docs-json').expect(200)).body;
});
after(async () => {
  await app?.close();
});

function resolve(schema: Schema | undefined): Schema {
  if (schema?.$ref) return resolve(doc.components.schemas[schema.$ref.split('/').pop()!]);
  // Nest documents a described nested DTO as allOf: [$ref].
  if (schema?.allOf?.length) return resolve(schema.allOf[0]);
  return schema ?? {};
}

const hugeString = fc.constant('x'.repeat(70_000));
const junkScalar = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(''),
  fc.constant('\u0000\ud800'),
);
const junkValue = fc.oneof(
  junkScalar,
  fc.array(junkScalar, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), junkScalar, { maxKeys: 3 }),
);

/** A value that cannot satisfy `schema`, or null when the schema names no type to violate. */
function wrongValue(schema: Schema): fc.Arbitrary<unknown> | null {
  const s = resolve(schema);
  if (s.enum) return fc.oneof(fc.constant('definitely-not-allowed'), fc.integer(), fc.constant([]));
  switch (s.type) {
    case 'string':
      return fc.oneof(fc.integer(), fc.boolean(), fc.constant({}), fc.constant([1]));
    case 'integer':
      return fc.oneof(
        fc.constant('12'),
        fc.constant(1.5),
        fc.constant(1e308),
        fc.constant(-1e308),
        fc.boolean(),
      );
    case 'number':
      return fc.oneof(fc.constant('1'), fc.boolean(), fc.constant({}));
    case 'boolean':
      return fc.oneof(fc.constant('true'), fc.integer(), fc.constant({}));
    case 'array':
      return fc.oneof(fc.constant('[]'), fc.integer(), fc.constant({}));
    case 'object':
      return fc.oneof(fc.constant('{}'), fc.integer(), fc.constant([]), fc.constant(true));
    default:
      return null;
  }
}

const badIds = fc.oneof(
  fc.constant('not-a-uuid'),
  fc.uuid().map((u) => u.replace(/^(.{14})./, '$14')), // a v4-shaped id that exists nowhere
  fc.constant('%2e%2e%2f%2e%2e%2fetc%2fpasswd'),
  fc.constant('1 OR 1=1'),
  fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent),
  fc.constant('y'.repeat(3000)),
);

type Mutation =
  | { kind: 'bad-json'; text: string }
  | { kind: 'not-object'; body: unknown }
  | { kind: 'wrong-type'; field: string; value: unknown }
  | { kind: 'missing'; field: string }
  | { kind: 'extra'; field: string; value: unknown }
  | { kind: 'huge'; field: string; value: string }
  | { kind: 'bad-query'; name: string; value: string }
  | { kind: 'unknown-query'; name: string }
  | { kind: 'bad-auth'; header: string }
  | { kind: 'nul'; field: string }
  | { kind: 'deep'; depth: number }
  | { kind: 'proto-key'; key: string };

function bodySchema(op: Operation): Schema | null {
  const json = op.requestBody?.content['application/json'];
  return json ? resolve(json.schema) : null;
}

function mutations(route: Route): fc.Arbitrary<Mutation> {
  const options: fc.Arbitrary<Mutation>[] = [
    fc
      .oneof(
        fc.constant('Bearer nope'),
        fc.constant(''),
        fc.constant('Basic abc'),
        fc.constant('Bearer adl_' + 'z'.repeat(43)),
      )
      .map((header) => ({ kind: 'bad-auth' as const, header })),
  ];
  // Routes that take query parameters reject unknown ones; elsewhere HTTP lets them be ignored.
  if ((route.op.parameters ?? []).some((p) => p.in === 'query')) {
    options.push(
      fc
        .string({ minLength: 1, maxLength: 12 })
        .filter((n) => /^[a-z]+$/.test(n))
        .map((name) => ({ kind: 'unknown-query' as const, name: `zz${name}` })),
    );
  }
  const schema = bodySchema(route.op);
  if (schema && route.method === 'post') {
    const props = Object.keys(schema.properties ?? {});
    options.push(
      fc
        .oneof(
          fc.constant('{"a":'),
          fc.constant('[1,2'),
          fc.constant('nul'),
          fc.constant('{"kind":"sleep",}'),
          fc.constant('\u00ff\u00fe'),
        )
        .map((text) => ({ kind: 'bad-json' as const, text })),
      fc
        .oneof(fc.constant([]), fc.constant(42), fc.constant('str'), fc.constant(null))
        .map((body) => ({ kind: 'not-object' as const, body })),
      fc
        .string({ minLength: 1, maxLength: 10 })
        .chain((f) =>
          junkValue.map((value) => ({ kind: 'extra' as const, field: `unknown_${f}`, value })),
        ),
    );
    options.push(
      fc.integer({ min: 65, max: 20_000 }).map((depth) => ({ kind: 'deep' as const, depth })),
      fc
        .constantFrom('__proto__', 'constructor', 'prototype')
        .map((key) => ({ kind: 'proto-key' as const, key })),
    );
    for (const field of props) {
      options.push(fc.constant({ kind: 'nul' as const, field }));
      const wrong = wrongValue(schema.properties![field]);
      if (wrong)
        options.push(wrong.map((value) => ({ kind: 'wrong-type' as const, field, value })));
      options.push(hugeString.map((value) => ({ kind: 'huge' as const, field, value })));
    }
    for (const field of schema.required ?? [])
      options.push(fc.constant({ kind: 'missing' as const, field }));
  }
  for (const p of route.op.parameters ?? []) {
    if (p.in !== 'query') continue;
    const s = resolve(p.schema);
    const bad =
      s.type === 'integer' || s.type === 'number'
        ? ['abc', '-5', '1.5', '1e999', '']
        : s.enum
          ? ['nope']
          : s.type === 'string'
            ? ['x'.repeat(5000), 'a\u0000']
            : [];
    if (bad.length)
      options.push(
        fc
          .constantFrom(...bad)
          .map((value) => ({ kind: 'bad-query' as const, name: p.name, value })),
      );
  }
  return fc.oneof(...options);
}

/** A valid-looking body for the route, so that a single mutation makes it invalid. */
function baseBody(route: Route): Record<string, unknown> {
  if (route.path === '/v1/jobs') return { kind: 'sleep', spec: { steps: 1 } };
  const schema = bodySchema(route.op);
  const body: Record<string, unknown> = {};
  for (const field of schema?.required ?? []) body[field] = 'x';
  return body;
}

async function fingerprint(): Promise<string> {
  const c = new Client({ connectionString: app.databaseUrl });
  await c.connect();
  try {
    const tables: { table_name: string }[] = (
      await c.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      )
    ).rows;
    const parts: string[] = [];
    // The audit log records rejected requests by design (docs/security.md), and a key's
    // last_used_at moves with use: neither is a change made by a rejected request.
    const rowText: Record<string, string> = {
      api_keys: `(t.id, t.project_id, t.name, t.hash, t.role, t.revoked_at, t.expires_at)::text`,
    };
    for (const { table_name } of tables) {
      if (table_name === 'audit_log') continue;
      const text = rowText[table_name] ?? 't::text';
      const r = await c.query(
        `SELECT count(*)::int AS n, md5(coalesce(string_agg(${text}, ',' ORDER BY ${text}), '')) AS h FROM "${table_name}" t`,
      );
      parts.push(`${table_name}:${r.rows[0].n}:${r.rows[0].h}`);
    }
    return parts.join('\n');
  } finally {
    await c.end();
  }
}

test('>= 1000 malformed requests over every OpenAPI route: no 5xx, database unchanged', async () => {
  const routes: Route[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) routes.push({ method, path, op });
  }
  assert.ok(routes.length >= 10, `found ${routes.length} routes`);
  const before = await fingerprint();
  const statuses = new Map<number, number>();
  let sent = 0;
  const perRoute = Math.ceil(1200 / routes.length);

  for (const route of routes) {
    await fc.assert(
      fc.asyncProperty(mutations(route), badIds, async (mutation, badId) => {
        let path = route.path.replace(/\{[^}]+\}/g, (m) =>
          m === '{name}' ? 'missing.bin' : badId,
        );
        const query = new URLSearchParams();
        if (mutation.kind === 'bad-query') query.set(mutation.name, mutation.value);
        if (mutation.kind === 'unknown-query') query.set(mutation.name, '1');
        if ([...query].length) path += `?${query}`;
        let req = route.method === 'post' ? app.http.post(path) : app.http.get(path);
        req = req.set(
          'Authorization',
          mutation.kind === 'bad-auth' ? mutation.header : `Bearer ${app.key}`,
        );
        if (route.method === 'post') {
          const body = baseBody(route);
          if (mutation.kind === 'bad-json')
            req = req.set('Content-Type', 'application/json').send(mutation.text);
          else if (mutation.kind === 'not-object')
            req = req.set('Content-Type', 'application/json').send(JSON.stringify(mutation.body));
          else if (mutation.kind === 'deep' || mutation.kind === 'proto-key') {
            // Raw text: JSON.stringify would drop a __proto__ key, and recursion is the point.
            const value =
              mutation.kind === 'deep'
                ? '['.repeat(mutation.depth) + ']'.repeat(mutation.depth)
                : '{"stepMs":0}';
            const key = mutation.kind === 'deep' ? 'nested' : mutation.key;
            const rest = JSON.stringify(body).slice(1);
            const text = `{${JSON.stringify(key)}:${value}${rest === '}' ? '' : ','}${rest}`;
            req = req.set('Content-Type', 'application/json').send(text);
          } else {
            if (
              mutation.kind === 'wrong-type' ||
              mutation.kind === 'huge' ||
              mutation.kind === 'extra'
            )
              body[mutation.field] = mutation.value;
            if (mutation.kind === 'missing') delete body[mutation.field];
            if (mutation.kind === 'nul') body[mutation.field] = 'a\u0000b';
            req = req.send(body);
          }
        }
        const res = await req;
        sent++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) {
          throw new Error(
            `${route.method.toUpperCase()} ${path} with ${JSON.stringify(mutation).slice(0, 300)} -> ${res.status} ${res.text.slice(0, 300)}`,
          );
        }
        // A `:validate` custom method answers every problem of its body, malformed ones
        // included, as 200 {valid: false, problems} (one schema checks the whole body).
        if (route.path.endsWith(':validate') && res.status === 200) {
          assert.equal(res.body.valid, false, `${path} ${JSON.stringify(mutation).slice(0, 200)}`);
          assert.ok(res.body.problems.length > 0);
        } else if (route.path.startsWith('/v1')) {
          assert.ok(
            res.status >= 400,
            `${route.method} ${path} ${JSON.stringify(mutation).slice(0, 200)} was accepted (${res.status})`,
          );
          assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
        }
      }),
      { numRuns: perRoute, seed: 20261125 },
    );
  }
  assert.ok(sent >= 1000, `sent ${sent} requests`);
  assert.equal(await fingerprint(), before, 'rejected requests changed the database');
  assert.ok(
    [...statuses.keys()].every((s) => s < 500),
    JSON.stringify([...statuses]),
  );
});
