import type { ErrorObject } from 'ajv';
import type { FieldProblem } from '../errors/domain-error';
import { closestName } from './did-you-mean';

/**
 * Ajv's errors in the service's words: one problem per field, the field written as a dotted
 * path under the spec (`spec.layers[2].units`), the message saying what is allowed and what
 * came. Unions report only their most specific branch error, not one line per branch.
 */
export function problemsFromSchemaErrors(
  errors: readonly ErrorObject[],
  root: unknown,
  path: string,
): FieldProblem[] {
  const out = new Map<string, string>();
  for (const e of errors) {
    // anyOf/oneOf add a summary after the branch errors; the branch errors say more.
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      if (
        !errors.some(
          (o) => o !== e && o.instancePath.startsWith(e.instancePath) && o.keyword !== e.keyword,
        )
      )
        out.set(fieldOf(path, e.instancePath), 'does not match any allowed form');
      continue;
    }
    // `T | null` given an object whose own field is wrong: the null branch's "must be null" at
    // the object is noise beside the T branch's problem inside it, which is what to fix.
    if (isNullBranch(e) && errors.some((o) => o.instancePath.startsWith(`${e.instancePath}/`)))
      continue;
    const field = problemField(path, e);
    if (out.has(field)) continue; // the first problem per field is the useful one
    out.set(field, messageOf(e, valueAt(root, e.instancePath)));
  }
  return [...out].map(([field, message]) => ({ field, message }));
}

/** The `null` branch of a union rejecting the value (`type: 'null'` under an anyOf/oneOf). */
function isNullBranch(e: ErrorObject): boolean {
  return (
    e.keyword === 'type' &&
    e.params.type === 'null' &&
    /\/(anyOf|oneOf)\/\d+\/type$/.test(e.schemaPath)
  );
}

function problemField(path: string, e: ErrorObject): string {
  const base = fieldOf(path, e.instancePath);
  const join = (name: unknown) => (base ? `${base}.${String(name)}` : String(name));
  if (e.keyword === 'required') return join(e.params.missingProperty);
  if (e.keyword === 'additionalProperties') return join(e.params.additionalProperty);
  if (e.keyword === 'discriminator') return join(e.params.tag);
  return base;
}

/** `/layers/2/units` under `spec` -> `spec.layers[2].units` (under `` -> `layers[2].units`). */
export function fieldOf(path: string, pointer: string): string {
  let out = path;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out ? `.${seg}` : seg;
  }
  return out;
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a finite number',
  integer: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function messageOf(e: ErrorObject, value: unknown): string {
  const p = e.params as Record<string, unknown>;
  const got = describe(value);
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties': {
      const allowed = Object.keys(
        (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {},
      );
      if (allowed.length === 0) return 'unknown field; none allowed';
      // A typo (`bacth`) is the usual cause: name the field it was probably meant to be.
      const near = closestName(String(p.additionalProperty), allowed);
      const hint = near === undefined ? '' : `; did you mean "${near}"?`;
      return `unknown field; allowed: ${allowed.join(', ')}${hint}`;
    }
    case 'type': {
      const types = String(p.type).split(',');
      return `must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}, got ${got}`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(p.comparison)} ${String(p.limit)}, got ${got}`;
    case 'multipleOf':
      return `must be a multiple of ${String(p.multipleOf)}, got ${got}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}, got ${got}`;
    case 'const':
      return `must be ${describe(p.allowedValue)}, got ${got}`;
    case 'minLength':
      return `must be at least ${String(p.limit)} characters, got ${typeof value === 'string' ? value.length : got}`;
    case 'maxLength':
      return `must be at most ${String(p.limit)} characters, got ${typeof value === 'string' ? value.length : got}`;
    case 'pattern': {
      // A schema's example says what the pattern means better than the regex does.
      const example = (e.parentSchema as { example?: unknown } | undefined)?.example;
      const hint = example === undefined ? '' : ` (e.g. ${describe(example)})`;
      return `must match ${String(p.pattern)}${hint}, got ${got}`;
    }
    case 'minItems':
      return `must have at least ${String(p.limit)} items, got ${Array.isArray(value) ? value.length : got}`;
    case 'maxItems':
      return `must have at most ${String(p.limit)} items, got ${Array.isArray(value) ? value.length : got}`;
    case 'uniqueItems':
      return 'must not repeat items';
    case 'minProperties':
      return `must have at least ${String(p.limit)} fields`;
    case 'maxProperties':
      return `must have at most ${String(p.limit)} fields`;
    case 'propertyNames':
      return `has an invalid field name ${describe(p.propertyName)}`;
    case 'discriminator': {
      const tag = String(p.tag);
      const allowed = tagValues(e.parentSchema, tag);
      const given = (value as Record<string, unknown> | null)?.[tag];
      if (given === undefined) return 'is required';
      return allowed.length
        ? `must be one of ${allowed.join(', ')}, got ${describe(given)}`
        : 'names no allowed kind';
    }
    case 'format':
      return `must be a valid ${String(p.format)}, got ${got}`;
    default:
      return e.message ?? 'is invalid';
  }
}

/** The tag values of a discriminated `oneOf` (each branch's `const` or `enum` of the tag). */
function tagValues(schema: unknown, tag: string): string[] {
  const branches = (schema as { oneOf?: unknown[] } | undefined)?.oneOf ?? [];
  return branches.flatMap((b) => {
    const t = (b as { properties?: Record<string, { const?: unknown; enum?: unknown[] }> })
      .properties?.[tag];
    if (t?.const !== undefined) return [String(t.const)];
    return (t?.enum ?? []).map(String);
  });
}

/** A short description of a bad value for a message: `"abc"`, `an object`, `null`, `42`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `"${value.length > 40 ? value.slice(0, 40) + '...' : value}"`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}
