import pipelineSchema from './pipeline.schema.json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const DROPPED_KEYS = new Set(['$schema', '$id', '$defs']);

/**
 * The pipeline JSON Schema (2020-12, `pipeline.schema.json`, the single source of truth) in the
 * OpenAPI 3.0 dialect Nest's Swagger document uses, so the API console shows the real format:
 * local `$ref`s into `$defs` are inlined (the schema is not recursive), `const: x` becomes
 * `enum: [x]` and a numeric `exclusiveMinimum: m` becomes `minimum: m, exclusiveMinimum: true` (likewise for maxima)
 * (OpenAPI 3.0 Schema Object, section 4.7.24). Graph rules and stability stay the simulator's.
 */
export function pipelineOpenApiSchema(): Record<string, unknown> {
  const root = pipelineSchema as unknown as JsonObject;
  const defs = (root.$defs ?? {}) as JsonObject;
  return convert(root, defs, []) as Record<string, unknown>;
}

function convert(node: Json, defs: JsonObject, seen: string[]): Json {
  if (Array.isArray(node)) return node.map((n) => convert(n, defs, seen));
  if (node === null || typeof node !== 'object') return node;
  const ref = node.$ref;
  if (typeof ref === 'string') {
    const name = ref.replace(/^#\/\$defs\//, '');
    if (name === ref || !(name in defs)) throw new Error(`unsupported $ref ${ref}`);
    if (seen.includes(name)) throw new Error(`recursive $ref ${ref} cannot be inlined`);
    return convert(defs[name], defs, [...seen, name]);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (key === 'const') out.enum = [value];
    else if (key === 'exclusiveMinimum' && typeof value === 'number') {
      out.minimum = value;
      out.exclusiveMinimum = true;
    } else if (key === 'exclusiveMaximum' && typeof value === 'number') {
      out.maximum = value;
      out.exclusiveMaximum = true;
    } else if (key === 'properties' && value !== null && typeof value === 'object') {
      // Property names are not keywords: convert each schema, keep every name.
      const props: JsonObject = {};
      for (const [name, schema] of Object.entries(value)) props[name] = convert(schema, defs, seen);
      out.properties = props;
    } else out[key] = convert(value, defs, seen);
  }
  return out;
}
