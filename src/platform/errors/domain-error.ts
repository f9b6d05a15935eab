/**
 * Typed domain errors. Pure cores and services throw these; one exception filter
 * (problem-details.filter.ts) maps them to RFC 9457 problem+json responses. No HTTP here.
 */
export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `space.lr.low`. */
  field: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly kind:
    | 'validation'
    | 'not-found'
    | 'conflict'
    | 'unprocessable'
    | 'forbidden'
    | 'unavailable'
    | 'insufficient-storage';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed: wrong type, missing or unknown field, out-of-range value (400). */
export class ValidationError extends DomainError {
  readonly kind = 'validation' as const;
  readonly problems: FieldProblem[];
  constructor(message: string, problems: FieldProblem[] = []) {
    super(message);
    this.problems = problems.map((p) => ({ ...p, field: rootRelative(p.field) }));
  }

  static field(field: string, message: string): ValidationError {
    const at = rootRelative(field);
    return new ValidationError(`${at}: ${message}`, [{ field: at, message }]);
  }
}

/**
 * A field path without the empty root's dot: refines join `${path}.field`, and a request body is
 * checked at path '' (specSchema's parse(raw, '')), which would name `.field`.
 */
function rootRelative(field: string): string {
  return field.startsWith('.') ? field.slice(1) : field;
}

/** The entity does not exist, or belongs to another project (404). */
export class NotFoundError extends DomainError {
  readonly kind = 'not-found' as const;
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} not found`);
  }
}

/** The request conflicts with the current state, e.g. cancelling a finished job (409). */
export class ConflictError extends DomainError {
  readonly kind = 'conflict' as const;
}

/** Well-formed but semantically unusable input: corrupt data, unstable system, shape mismatch (422). */
export class UnprocessableError extends DomainError {
  readonly kind = 'unprocessable' as const;
  constructor(
    message: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(message);
  }
}

/** The caller is authenticated but not allowed to do this (403). */
export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden' as const;
}

/** A dependency the request needs is not available right now (503). */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable' as const;
}

/** The disk under AUTODL_HOME is full (ENOSPC, EDQUOT): nothing was stored (507). */
export class InsufficientStorageError extends DomainError {
  readonly kind = 'insufficient-storage' as const;
}
