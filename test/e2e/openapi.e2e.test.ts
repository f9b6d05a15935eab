import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestApp, TestApp } from '../support/app';

let app: TestApp;
before(async () => {
  app = await startTestApp({ workers: 0 });
});
after(async () => {
  await app?.close();
});

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

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
