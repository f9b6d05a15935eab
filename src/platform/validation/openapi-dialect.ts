type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

// `propertyNames` and conditionals (`if`/`then`/`else`) have no 3.0 form: the validator checks
// them; the schema's description says them in words.
const DROPPED_KEYS = new Set([
  '$schema',
  '$id',
  '$defs',
  'discriminator',
  'propertyNames',
  'if',
  'then',
  'else',
]);

/**
 * A JSON Schema (2020-12, as TypeBox builds it or as a `*.schema.json` file holds it) in the
 * OpenAPI 3.0 dialect Nest's Swagger document is written in (OpenAPI 3.0.3, Schema Object,
 * section 4.7.24), so the API console shows the real format:
 *  - local `$ref`s into `$defs` are inlined (job specs are not recursive),
 *  - `const: x` becomes `enum: [x]`,
 *  - a numeric `exclusiveMinimum: m` becomes `minimum: m, exclusiveMinimum: true` (maxima alike),
 *  - `type: [t, 'null']` and `anyOf: [A, {type: 'null'}]` become `nullable: true`,
 *  - a map (`patternProperties` with one pattern, TypeBox's `Record`) becomes
 *    `additionalProperties` (the key pattern is the validator's to check),
 *  - a property with a `default` is not `required`: the validator fills it in, so a client may
 *    leave it out (TypeBox lists every non-Optional property as required).
 */
export function toOpenApi30(schema: unknown): Record<string, unknown> {
  const root = JSON.parse(JSON.stringify(schema)) as JsonObject; // drops TypeBox's symbol keys
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
  const nullableUnion = nullableBranch(node);
  if (nullableUnion)
    return { ...(convert(nullableUnion, defs, seen) as JsonObject), nullable: true };
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
    } else if (key === 'type' && Array.isArray(value)) {
      const types = value.filter((t) => t !== 'null');
      if (types.length !== 1)
        throw new Error(`type ${JSON.stringify(value)} has no OpenAPI 3.0 form`);
      out.type = types[0];
      if (types.length < value.length) out.nullable = true;
    } else if (key === 'patternProperties' && value !== null && typeof value === 'object') {
      const values = Object.values(value);
      if (values.length !== 1)
        throw new Error('patternProperties with several patterns has no OpenAPI 3.0 form');
      out.additionalProperties = convert(values[0], defs, seen);
    } else if (key === 'properties' && value !== null && typeof value === 'object') {
      // Property names are not keywords: convert each schema, keep every name.
      const props: JsonObject = {};
      for (const [name, s] of Object.entries(value)) props[name] = convert(s, defs, seen);
      out.properties = props;
    } else out[key] = convert(value, defs, seen);
  }
  return withDefaultsOptional(out);
}

function withDefaultsOptional(node: JsonObject): JsonObject {
  const { required, properties } = node;
  if (!Array.isArray(required) || properties === null || typeof properties !== 'object')
    return node;
  const props = properties as JsonObject;
  const stillRequired = required.filter((name) => {
    const prop = props[String(name)];
    return !(
      prop !== null &&
      typeof prop === 'object' &&
      !Array.isArray(prop) &&
      'default' in prop
    );
  });
  if (stillRequired.length === required.length) return node;
  const { required: _r, ...rest } = node;
  return stillRequired.length ? { ...rest, required: stillRequired } : rest;
}

/** `anyOf: [A, {type: 'null'}]` (TypeBox's `Union([A, Null()])`): A, to be marked nullable. */
function nullableBranch(node: JsonObject): JsonObject | undefined {
  const union = node.anyOf ?? node.oneOf;
  if (!Array.isArray(union) || union.length !== 2) return undefined;
  const isNull = (s: Json) =>
    s !== null && typeof s === 'object' && !Array.isArray(s) && s.type === 'null';
  const rest = union.filter((s) => !isNull(s));
  if (
    rest.length !== 1 ||
    typeof rest[0] !== 'object' ||
    rest[0] === null ||
    Array.isArray(rest[0])
  )
    return undefined;
  const { anyOf: _a, oneOf: _o, ...siblings } = node;
  return { ...siblings, ...rest[0] };
}
