import { FieldProblem, ValidationError } from '../../platform/errors/domain-error';

/**
 * Collects every problem of a JSON document (with its dotted field path) and throws them
 * together as one ValidationError, so a user fixes a pipeline file in one pass.
 */
export class SpecReader {
  readonly problems: FieldProblem[] = [];

  fail(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  object(value: unknown, field: string): Record<string, unknown> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(field, value === undefined ? 'is required' : 'must be an object');
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  optionalObject(value: unknown, field: string): Record<string, unknown> | undefined {
    return value === undefined ? undefined : this.object(value, field);
  }

  array(value: unknown, field: string): unknown[] | undefined {
    if (!Array.isArray(value)) {
      this.fail(field, value === undefined ? 'is required' : 'must be an array');
      return undefined;
    }
    return value;
  }

  string(value: unknown, field: string): string | undefined {
    if (typeof value !== 'string' || value.length === 0) {
      this.fail(field, value === undefined ? 'is required' : 'must be a non-empty string');
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T | undefined {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
      return undefined;
    }
    return value as T;
  }

  /** A finite number within [min, max] (max may be Infinity); integers only when asked. */
  number(
    value: unknown,
    field: string,
    opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {},
  ): number | undefined {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail(
        field,
        value === undefined
          ? 'is required'
          : `must be a finite number, got ${JSON.stringify(value)}`,
      );
      return undefined;
    }
    if (opts.integer && !Number.isInteger(value)) {
      this.fail(field, `must be an integer, got ${value}`);
      return undefined;
    }
    const min = opts.min ?? -Infinity;
    if (opts.exclusiveMin ? !(value > min) : value < min) {
      this.fail(field, `must be ${opts.exclusiveMin ? '>' : '>='} ${min}, got ${value}`);
      return undefined;
    }
    if (opts.max !== undefined && value > opts.max) {
      this.fail(field, `must be <= ${opts.max}, got ${value}`);
      return undefined;
    }
    return value;
  }

  optionalNumber(
    value: unknown,
    field: string,
    fallback: number,
    opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {},
  ): number {
    if (value === undefined) return fallback;
    return this.number(value, field, opts) ?? fallback;
  }

  /** Throw the collected problems, if any. */
  check(what: string): void {
    if (this.problems.length === 0) return;
    const list = this.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    throw new ValidationError(`invalid ${what}: ${list}`, this.problems.slice());
  }
}
