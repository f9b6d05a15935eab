import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipelineOpenApiSchema } from './openapi-schema';

/** Every key used anywhere in a JSON value, with the path where it first appears. */
function keys(node: unknown, at = '$', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(node)) node.forEach((n, i) => keys(n, `${at}[${i}]`, out));
  else if (node !== null && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) {
      if (!out.has(k)) out.set(k, at);
      keys(v, `${at}.${k}`, out);
    }
  return out;
}

type Schema = Record<string, never> & {
  properties: Record<string, Schema>;
  items: Schema;
  oneOf: Schema[];
  enum: unknown[];
  minimum: number;
  exclusiveMinimum: boolean;
};

test('pipeline schema in OpenAPI 3.0 form: $defs inlined, const -> enum, numeric exclusiveMinimum -> boolean (OAS 3.0.3 Schema Object)', () => {
  const s = pipelineOpenApiSchema() as unknown as Schema;
  const used = keys(s);
  for (const k of ['$ref', '$defs', '$schema', '$id', 'const'])
    assert.ok(!used.has(k), `${k} left at ${used.get(k)}`);
  const stage = s.properties.stages.items;
  assert.deepEqual(stage.properties.instances, {
    type: 'integer',
    minimum: 1,
    description: 'Servers in parallel; each serves one batch at a time.',
  });
  // service: deterministic|exponential, lognormal, empirical.
  const services = stage.properties.service.oneOf;
  assert.equal(services.length, 3);
  assert.deepEqual(services[1].properties.dist.enum, ['lognormal']);
  const timeout = stage.properties.queue.properties.timeoutMs;
  assert.equal(timeout.minimum, 0);
  assert.equal(timeout.exclusiveMinimum, true);
});
