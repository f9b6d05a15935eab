import { Type, type SchemaOptions, type TUnsafe } from '@sinclair/typebox';

/**
 * A string from a fixed list as one JSON Schema `enum` (TypeBox's own unions of literals become
 * `anyOf` of `const`s, whose errors read "must be 'a'" per branch): the error then lists every
 * allowed value at once, and OpenAPI shows a plain enum.
 */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}
