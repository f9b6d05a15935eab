import assert from 'node:assert/strict';
import { ValidationError } from '../../src/platform/errors/domain-error';

/** The problems (field and message) of the ValidationError `fn` throws; fails if it throws none. */
export function validationProblems(fn: () => unknown): Array<{ field: string; message: string }> {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    return e.problems;
  }
  assert.fail('expected a ValidationError');
}
