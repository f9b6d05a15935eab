import {
  Type,
  type SchemaOptions,
  type Static,
  type TObject,
  type TUnsafe,
} from '@sinclair/typebox';

/*
 * TypeBox builders for shapes its own unions render poorly. Both keep Ajv's errors about the one
 * thing that is wrong, where an `anyOf` reports every branch.
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
