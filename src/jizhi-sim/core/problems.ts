import { FieldProblem, ValidationError } from '../../platform/errors/domain-error';

/**
 * The simulator's semantic checks (stage references, cycles, a profile covering the largest
 * batch...) collect every problem with its dotted field path and throw them together as one
 * ValidationError, so a user fixes a pipeline in one pass. Shapes, ranges and defaults are the
 * schema's (pipeline-schema.ts), checked before any of this runs.
 */
export class Problems {
  readonly problems: FieldProblem[] = [];

  fail(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  /** Throw the collected problems, if any. */
  check(what: string): void {
    if (this.problems.length === 0) return;
    const list = this.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    throw new ValidationError(`invalid ${what}: ${list}`, this.problems.slice());
  }
}
