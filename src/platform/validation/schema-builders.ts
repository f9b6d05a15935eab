import {
  Type,
  type SchemaOptions,
  type Static,
  type TObject,
  type TSchema,
  type TUnsafe,
} from '@sinclair/typebox';

/*
 * TypeBox builders for shapes its own builders render poorly for validation or OpenAPI: unions
 * whose Ajv errors name the one thing that is wrong (an `anyOf` reports every branch), and maps
 * whose key rule is checked.
 */

/**
 * A union of object schemas told apart by one field (`{model: 'lru', ...} | {model: 'hit-ratio',
 * ...}`), as `oneOf` with the OpenAPI `discriminator` keyword. Ajv (option `discriminator`) then
 * validates only the branch the tag names: errors speak of that branch alone and its defaults
 * are filled in (an `anyOf` union would do neither). Each branch must give the tag as a literal.
 */
export function TaggedUnion<const B extends TObject[]>(
  tag: string,
  branches: [...B],
  options: SchemaOptions = {},
): TUnsafe<Static<B[number]>> {
  return Type.Unsafe<Static<B[number]>>({
    type: 'object',
    required: [tag],
    discriminator: { propertyName: tag },
    oneOf: branches,
    ...options,
  });
}

/** One of a list of strings, as `enum` ("must be one of a, b, got c"). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/**
 * An object used as a map from names to values. TypeBox's `Record` ignores the key schema's
 * pattern and length (it writes `patternProperties: {"^(.*)$": ...}`); here the key rule is
 * `propertyNames`, which Ajv checks and the OpenAPI form drops (3.0 cannot say it).
 */
export function StringMap<V extends TSchema>(
  value: V,
  key: { pattern?: string; maxLength?: number } = {},
  options: SchemaOptions = {},
): TUnsafe<Record<string, Static<V>>> {
  const names = Object.keys(key).length ? { propertyNames: { type: 'string', ...key } } : {};
  return Type.Unsafe<Record<string, Static<V>>>({
    type: 'object',
    additionalProperties: value,
    ...names,
    ...options,
  });
}
