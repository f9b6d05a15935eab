import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestApp, TestApp } from '../support/app';

let app: TestApp;
before(async () => {
  app = await startTestApp({ workers: 0, coordinators: 0 });
});
after(async () => {
  await app?.close();
});

interface Operation {
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<
    string,
    { content?: Record<string, { schema?: { $ref?: string }; example?: unknown }> }
  >;
}

async function document(): Promise<{ paths: Record<string, Record<string, Operation>> }> {
  return (await app.http.get('/docs-json').expect(200)).body;
}

function operations(doc: { paths: Record<string, Record<string, Operation>> }) {
  return Object.entries(doc.paths).flatMap(([route, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      name: `${method.toUpperCase()} ${route}`,
      op,
    })),
  );
}

/** Header parameters a route really cannot do without (none today: the key is a security scheme). */
const REQUIRED_HEADERS: Record<string, string[]> = {};

test('the OpenAPI document at /docs-json validates as OpenAPI 3 (swagger-parser)', async () => {
  const res = await app.http.get('/docs-json').expect(200);
  assert.match(res.body.openapi, /^3\./);
  const api = await SwaggerParser.validate(structuredClone(res.body));
  assert.ok(Object.keys(api.paths ?? {}).length > 0);
});

test('every operation documents problem+json error responses, and 401 on every /v1 route', async () => {
  const doc = (await app.http.get('/docs-json').expect(200)).body as {
    paths: Record<string, Record<string, Operation>>;
  };
  const missing: string[] = [];
  for (const [route, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const errors = Object.entries(op.responses).filter(([code]) => /^[45]\d\d$/.test(code));
      const withProblem = errors.filter(([, r]) =>
        r.content?.['application/problem+json']?.schema?.$ref?.endsWith('/ProblemDto'),
      );
      if (route.startsWith('/v1') && !op.responses['401'])
        missing.push(`${method.toUpperCase()} ${route}: no 401`);
      if (route.startsWith('/v1') && withProblem.length === 0)
        missing.push(`${method.toUpperCase()} ${route}: no error schema`);
      if (errors.length !== withProblem.length)
        missing.push(`${method.toUpperCase()} ${route}: an error without ProblemDto`);
    }
  }
  assert.deepEqual(missing, []);
});

test('the Swagger console is served from local assets (no CDN)', async () => {
  const html = await app.http.get('/docs').expect(200);
  assert.match(html.text, /swagger-ui/);
  assert.doesNotMatch(html.text, /https?:\/\/(cdn|unpkg|cdnjs)/);
  const scripts = [...html.text.matchAll(/src="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(scripts.length > 0);
  for (const src of scripts) {
    assert.ok(!/^https?:/.test(src), `script ${src} is local`);
    await app.http.get(new URL(src, `${app.url}/docs`).pathname).expect(200);
  }
});

test('no operation lists a header twice (case-insensitively) or requires one it can do without', async () => {
  const wrong: string[] = [];
  for (const { name, op } of operations(await document())) {
    const headers = (op.parameters ?? []).filter((p) => p.in === 'header');
    const names = headers.map((h) => h.name.toLowerCase());
    const twice = names.filter((n, i) => names.indexOf(n) !== i);
    if (twice.length > 0) wrong.push(`${name}: header ${twice.join(', ')} listed twice`);
    for (const h of headers.filter((x) => x.required)) {
      if (!(REQUIRED_HEADERS[name] ?? []).includes(h.name.toLowerCase()))
        wrong.push(`${name}: requires header ${h.name}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('POSTs that create work document one optional Idempotency-Key header', async () => {
  const doc = await document();
  for (const route of ['/v1/jobs', '/v1/explanations', '/v1/simulations', '/v1/studies']) {
    const headers = (doc.paths[route].post.parameters ?? []).filter((p) => p.in === 'header');
    assert.deepEqual(
      headers.map((h) => [h.name, h.required ?? false]),
      [['Idempotency-Key', false]],
      route,
    );
  }
});

test('every error response has its own example: the status it documents, problem+json fields', async () => {
  const wrong: string[] = [];
  const details = new Map<string, string>();
  for (const { name, op } of operations(await document())) {
    for (const [code, response] of Object.entries(op.responses)) {
      if (!/^[45]\d\d$/.test(code)) continue;
      const example = response.content?.['application/problem+json']?.example as
        | { status?: number; title?: string; type?: string; detail?: string; errors?: unknown }
        | undefined;
      if (!example) {
        wrong.push(`${name} ${code}: no example`);
        continue;
      }
      if (example.status !== Number(code))
        wrong.push(`${name} ${code}: example says ${example.status}`);
      if (!example.type?.startsWith('urn:autodl:problem:') || !example.title || !example.detail)
        wrong.push(`${name} ${code}: example lacks type, title or detail`);
      const seen = details.get(example.detail ?? '');
      if (seen !== undefined && seen !== code)
        wrong.push(`${name} ${code}: same detail as the ${seen} example`);
      details.set(example.detail ?? '', code);
    }
  }
  assert.deepEqual(wrong, []);
  for (const code of ['400', '401', '404', '409', '413', '422', '503'])
    assert.ok([...details.values()].includes(code), `some route documents ${code}`);
});
