import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import type { Static, TSchema } from '@sinclair/typebox';
import { ValidationError } from '../errors/domain-error';
import { toOpenApi30 } from './openapi-dialect';
import { problemsFromSchemaErrors } from './schema-errors';

/**
 * One schema per job kind (ARCHITECTURE.md, "Rules of the house"): a JSON Schema built with
 * TypeBox is the single description of a spec. It drives
 *  - the OpenAPI document (`openApi()`, converted to the 3.0 dialect Nest's Swagger writes),
 *  - validation at enqueue, with every bad field named by its path (`spec.config.lr`),
 *  - normalisation: defaults are filled in by the validator itself, so the stored spec is the
 *    normalised one and a worker only parses it.
 * What JSON Schema cannot say (a field below another one, a name that must exist) goes into
 * `refine`, which sees the typed, defaulted value and may return a narrower type.
 */
export interface SpecSchema<Out> {
  /** The JSON Schema (2020-12), as stored in docs and served to clients. */
  readonly schema: TSchema;
  /** The same schema in the OpenAPI 3.0 dialect, for `@ApiBody` and response documentation. */
  openApi(): Record<string, unknown>;
  /**
   * Checks a spec, fills in defaults and refines it. Never mutates `raw`. Throws
   * `ValidationError` listing every problem, each with its field path under `path`.
   */
  parse(raw: unknown, path?: string): Out;
}

export type Refine<In, Out> = (value: In, path: string) => Out;

// One validator for the whole process: compiled schemas are cached by identity.
const ajv = new Ajv2020({
  allErrors: true,
  useDefaults: true,
  coerceTypes: false,
  strict: false, // TypeBox's symbol keys and annotations (e.g. `examples`) are not validation keywords
  discriminator: true,
  verbose: true, // errors carry their schema: an unknown field's message lists the allowed ones
});

export function specSchema<S extends TSchema>(schema: S): SpecSchema<Static<S>>;
export function specSchema<S extends TSchema, Out>(
  schema: S,
  refine: Refine<Static<S>, Out>,
): SpecSchema<Out>;
export function specSchema<S extends TSchema, Out>(
  schema: S,
  refine?: Refine<Static<S>, Out>,
): SpecSchema<Out | Static<S>> {
  assertDefaultsApply(schema);
  let validate: ValidateFunction | undefined;
  let openApi: Record<string, unknown> | undefined;
  return {
    schema,
    openApi: () => (openApi ??= toOpenApi30(schema)),
    parse(raw: unknown, path = 'spec') {
      validate ??= ajv.compile(schema);
      // Defaults are written into the value being validated: work on a copy.
      const value: unknown = raw === undefined ? {} : structuredClone(raw);
      if (!validate(value)) {
        const problems = problemsFromSchemaErrors(validate.errors ?? [], value, path);
        throw new ValidationError(
          problems.map((p) => `${p.field}: ${p.message}`).join('; '),
          problems,
        );
      }
      return refine ? refine(value as Static<S>, path) : (value as Static<S>);
    },
  };
}

/**
 * ajv fills in defaults only outside anyOf/oneOf (a discriminated union's branch is fine: the
 * discriminator picks it). A default below another union branch is never applied, and the field
 * is then "required" for the client although the schema documents a default (it was so for a
 * federation's `dp.delta` and a NAS strategy's `settings`). Such a schema is refused where it is
 * built: make the field optional and fill it in the refine.
 */
export function assertDefaultsApply(schema: unknown, path = '', inUnion = false): void {
  if (!schema || typeof schema !== 'object') return;
  const o = schema as Record<string, unknown>;
  if (inUnion && 'default' in o)
    throw new Error(
      `schema default at ${path || '(root)'} is inside anyOf/oneOf: ajv never applies it`,
    );
  const props = o.properties as Record<string, unknown> | undefined;
  if (props)
    for (const [k, v] of Object.entries(props)) assertDefaultsApply(v, `${path}.${k}`, inUnion);
  if (o.items) assertDefaultsApply(o.items, `${path}[]`, inUnion);
  if (o.additionalProperties && typeof o.additionalProperties === 'object')
    assertDefaultsApply(o.additionalProperties, `${path}{}`, inUnion);
  const branchesApply = !inUnion && Boolean(o.discriminator);
  for (const key of ['anyOf', 'oneOf'] as const)
    if (Array.isArray(o[key]))
      (o[key] as unknown[]).forEach((b, i) =>
        assertDefaultsApply(b, `${path}|${key}[${i}]`, !branchesApply),
      );
}
