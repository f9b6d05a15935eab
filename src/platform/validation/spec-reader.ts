import { ValidationError } from '../errors/domain-error';

/**
 * Small readers for job specs (JSON that arrives untyped inside `POST /v1/jobs`). Each error
 * names the field path, what was wrong and what is allowed.
 */
export type JsonObject = Record<string, unknown>;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `"${value.length > 40 ? value.slice(0, 40) + '...' : value}"`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export function readObject(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw ValidationError.field(path, `must be an object, got ${describe(value)}`);
  }
  return value as JsonObject;
}

export function rejectUnknownFields(
  obj: JsonObject,
  allowed: readonly string[],
  path: string,
): void {
  const unknown = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    const problems = unknown.map((k) => ({
      field: `${path}.${k}`,
      message: allowed.length
        ? `unknown field; allowed: ${allowed.join(', ')}`
        : 'unknown field; none allowed',
    }));
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  }
}

interface NumberOptions<D> {
  min?: number;
  max?: number;
  default: D;
}

export function readNumber<D extends number | null | undefined>(
  obj: JsonObject,
  key: string,
  options: NumberOptions<D>,
  path: string,
): number | D {
  const value = obj[key];
  const field = `${path}.${key}`;
  if (value === undefined || value === null) {
    if (options.default === undefined) throw ValidationError.field(field, 'is required');
    return options.default;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw ValidationError.field(field, `must be a finite number, got ${describe(value)}`);
  }
  if (options.min !== undefined && value < options.min) {
    throw ValidationError.field(field, `must be >= ${options.min}, got ${value}`);
  }
  if (options.max !== undefined && value > options.max) {
    throw ValidationError.field(field, `must be <= ${options.max}, got ${value}`);
  }
  return value;
}

export function readInt<D extends number | null | undefined>(
  obj: JsonObject,
  key: string,
  options: NumberOptions<D>,
  path: string,
): number | D {
  const value = readNumber(obj, key, options, path);
  if (typeof value === 'number' && !Number.isInteger(value)) {
    throw ValidationError.field(`${path}.${key}`, `must be a whole number, got ${value}`);
  }
  return value;
}

export function readString<D extends string | null | undefined>(
  obj: JsonObject,
  key: string,
  options: { default: D; maxLength?: number; oneOf?: readonly string[] },
  path: string,
): string | D {
  const value = obj[key];
  const field = `${path}.${key}`;
  if (value === undefined || value === null) {
    if (options.default === undefined) throw ValidationError.field(field, 'is required');
    return options.default;
  }
  if (typeof value !== 'string')
    throw ValidationError.field(field, `must be a string, got ${describe(value)}`);
  if (options.maxLength !== undefined && value.length > options.maxLength) {
    throw ValidationError.field(
      field,
      `must be at most ${options.maxLength} characters, got ${value.length}`,
    );
  }
  if (options.oneOf && !options.oneOf.includes(value)) {
    throw ValidationError.field(
      field,
      `must be one of ${options.oneOf.join(', ')}, got ${describe(value)}`,
    );
  }
  return value;
}

export function readBoolean<D extends boolean | undefined>(
  obj: JsonObject,
  key: string,
  options: { default: D },
  path: string,
): boolean | D {
  const value = obj[key];
  if (value === undefined || value === null) {
    if (options.default === undefined) throw ValidationError.field(`${path}.${key}`, 'is required');
    return options.default;
  }
  if (typeof value !== 'boolean') {
    throw ValidationError.field(`${path}.${key}`, `must be true or false, got ${describe(value)}`);
  }
  return value;
}
