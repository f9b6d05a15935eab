/** The one place an HTTP error answer becomes a CLI error (client.ts, problemError). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliError, problemError } from './client';

test('a problem+json answer becomes "<status> <detail>" with a line per invalid field', () => {
  const res = new Response(null, { status: 400, statusText: 'Bad Request' });
  const error = problemError(res, {
    type: 'about:blank',
    status: 400,
    detail: 'spec.steps: must be at least 1',
    errors: [{ field: 'spec.steps', message: 'must be at least 1' }],
  });
  assert.ok(error instanceof CliError);
  assert.equal(error.message, '400 spec.steps: must be at least 1');
  assert.deepEqual(error.details, ['spec.steps: must be at least 1']);
});

test('an answer that is no problem+json falls back on the status text', () => {
  const res = new Response(null, { status: 502, statusText: 'Bad Gateway' });
  assert.equal(problemError(res, '<html>proxy error</html>').message, '502 Bad Gateway');
  assert.deepEqual(problemError(res, null).details, []);
});
