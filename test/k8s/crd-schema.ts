/**
 * What the API server does with a CustomResourceDefinition's structural schema, for the test API
 * server (fake-custom-objects.ts) and the manifest tests, after k8s.io/apiextensions-apiserver:
 *
 *   - pruning: fields the schema does not declare are dropped (kept under
 *     x-kubernetes-preserve-unknown-fields); with fieldValidation=Strict they are an error;
 *   - defaulting: `default` values are filled in (ajv's useDefaults on the same schema);
 *   - validation: OpenAPI v3.0 keywords (exclusiveMinimum as a boolean, as Kubernetes writes it)
 *     checked with ajv, each problem a Status cause with the field path and the wording of
 *     k8s.io/kube-openapi's validate errors ("Required value", "Unsupported value", "Invalid value").
 *   - CEL rules (x-kubernetes-validations): each rule evaluated with `self` bound to its node's
 *     value (@marcbachmann/cel-js), a false rule a cause `Invalid value: "object": <message>`.
 *
 * Not done here: the rules' cost estimate, transition rules (`oldSelf`) and messageExpression,
 * which only a real API server has (docs/deploy.md lists what only a real cluster checks).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate } from '@marcbachmann/cel-js';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { load } from 'js-yaml';

export const CRD_DIR = join(__dirname, '..', '..', 'k8s', 'base', 'crds');

export type JsonSchema = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
};

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
  description?: string;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  subresources?: { status?: object };
  additionalPrinterColumns?: PrinterColumn[];
  schema: { openAPIV3Schema: JsonSchema };
}

export interface Crd {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions: CrdVersion[];
  };
}

export function loadCrds(dir = CRD_DIR): Crd[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => load(readFileSync(join(dir, f), 'utf8')) as Crd);
}

export interface Cause {
  reason:
    'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueInvalid' | 'FieldValueTypeInvalid';
  message: string;
  field: string;
}

/** OpenAPI v3.0 (Kubernetes) -> JSON Schema as ajv reads it; x-kubernetes-* keywords dropped. */
function toAjv(s: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-') || k === 'description' || k === 'format') continue;
    if (k === 'properties')
      out.properties = Object.fromEntries(
        Object.entries(v as Record<string, JsonSchema>).map(([p, ps]) => [p, toAjv(ps)]),
      );
    else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object'))
      out[k] = toAjv(v as JsonSchema);
    else if (k === 'exclusiveMinimum' || k === 'exclusiveMaximum') continue;
    else out[k] = v;
  }
  if (s.exclusiveMinimum === true && typeof s.minimum === 'number') {
    out.exclusiveMinimum = s.minimum;
    delete out.minimum;
  }
  if (s.exclusiveMaximum === true && typeof s.maximum === 'number') {
    out.exclusiveMaximum = s.maximum;
    delete out.maximum;
  }
  return out;
}

/**
 * Drops the fields `schema` does not declare (structural pruning); returns their paths.
 * `metadata` is the API machinery's, never pruned by the schema.
 */
export function prune(value: unknown, schema: JsonSchema, path: string, dropped: string[]): void {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && !schema.properties) return;
  if (Array.isArray(value)) {
    if (schema.items)
      value.forEach((v, i) => prune(v, schema.items as JsonSchema, `${path}[${i}]`, dropped));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const field = path ? `${path}.${key}` : key;
    const known = schema.properties?.[key];
    if (known) {
      if (path === '' && key === 'metadata') continue;
      prune(o[key], known, field, dropped);
    } else if (typeof schema.additionalProperties === 'object') {
      prune(o[key], schema.additionalProperties, field, dropped);
    } else if (schema['x-kubernetes-preserve-unknown-fields'] !== true) {
      dropped.push(field);
      delete o[key];
    }
  }
}

function fieldOf(e: ErrorObject): string {
  const base = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
  const missing = (e.params as { missingProperty?: string }).missingProperty;
  return missing ? (base ? `${base}.${missing}` : missing) : base;
}

/** ajv's errors worded as the API server's field errors. */
function causeOf(e: ErrorObject, data: unknown): Cause {
  const field = fieldOf(e);
  const value = e.instancePath
    .split('/')
    .slice(1)
    .reduce<unknown>((v, p) => (v as Record<string, unknown> | undefined)?.[p], data);
  const shown = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value ?? null);
  switch (e.keyword) {
    case 'required':
      return { reason: 'FieldValueRequired', message: 'Required value', field };
    case 'enum':
      return {
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${shown}: supported values: ${(
          e.params as { allowedValues: unknown[] }
        ).allowedValues
          .map((v) => JSON.stringify(v))
          .join(', ')}`,
        field,
      };
    case 'type':
      return {
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: ${shown}: ${field} in body must be of type ${(e.params as { type: string }).type}`,
        field,
      };
    default:
      return {
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${shown}: ${field} in body ${e.message ?? 'is invalid'}`,
        field,
      };
  }
}

/**
 * The CEL rules of a schema node and its descendants against a value, as the API server runs
 * them (k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel): `self` is the node's value, a
 * rule is checked only where its value is present, and a rule that is false gives a
 * FieldValueInvalid cause on the node's path with the rule's message (or "failed rule: <rule>").
 * A rule that cannot be evaluated on a value of the wrong type is left to the type check.
 */
function celCauses(value: unknown, schema: JsonSchema, path: string): Cause[] {
  if (value === undefined || value === null) return [];
  const causes: Cause[] = [];
  for (const { rule, message } of schema['x-kubernetes-validations'] ?? []) {
    let holds: unknown;
    try {
      holds = evaluate(rule, { self: value });
    } catch {
      continue;
    }
    if (holds !== true) {
      const shown = typeof value === 'object' ? '"object"' : JSON.stringify(value);
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${shown}: ${message ?? `failed rule: ${rule}`}`,
        field: path,
      });
    }
  }
  const at = (key: string | number) =>
    typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, i) => causes.push(...celCauses(v, schema.items!, at(i))));
  } else if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const [key, sub] of Object.entries(schema.properties ?? {}))
      causes.push(...celCauses(obj[key], sub, at(key)));
    const extra = schema.additionalProperties;
    if (extra && typeof extra === 'object')
      for (const [key, v] of Object.entries(obj))
        if (!schema.properties?.[key]) causes.push(...celCauses(v, extra, at(key)));
  }
  return causes;
}

/** One served version of a CRD, ready to prune, default and validate objects. */
export class CrdSchema {
  private readonly validateFn: ValidateFunction;

  constructor(
    readonly crd: Crd,
    readonly version: CrdVersion,
  ) {
    const ajv = new Ajv({
      allErrors: true,
      strict: false,
      useDefaults: true,
      validateFormats: false,
    });
    this.validateFn = ajv.compile(toAjv(version.schema.openAPIV3Schema));
  }

  get kind(): string {
    return this.crd.spec.names.kind;
  }

  get hasStatus(): boolean {
    return this.version.subresources?.status !== undefined;
  }

  /** Prunes (or, Strict, refuses) unknown fields, fills defaults, validates: the causes. */
  admit(obj: Record<string, unknown>, strict: boolean): { causes: Cause[]; unknown: string[] } {
    const unknown: string[] = [];
    prune(obj, this.version.schema.openAPIV3Schema, '', unknown);
    if (strict && unknown.length > 0) return { causes: [], unknown };
    const ok = this.validateFn(obj);
    const causes = ok ? [] : (this.validateFn.errors ?? []).map((e) => causeOf(e, obj));
    causes.push(...celCauses(obj, this.version.schema.openAPIV3Schema, ''));
    return { causes, unknown };
  }
}

/** A `.a.b.c` jsonPath of a printer column (the only form CRDs use) on an object. */
export function evaluateJsonPath(obj: unknown, jsonPath: string): unknown {
  if (!jsonPath.startsWith('.')) throw new Error(`not a simple jsonPath: ${jsonPath}`);
  return jsonPath
    .slice(1)
    .split('.')
    .reduce<unknown>(
      (v, k) =>
        v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined,
      obj,
    );
}

/** A printer-column cell as the API server renders it into a Table (undefined: empty). */
export function cell(obj: unknown, column: PrinterColumn): unknown {
  const v = evaluateJsonPath(obj, column.jsonPath);
  if (v === undefined || v === null) return null;
  switch (column.type) {
    case 'integer':
      return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    default:
      return typeof v === 'string' ? v : JSON.stringify(v);
  }
}
