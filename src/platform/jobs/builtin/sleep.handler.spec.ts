import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../errors/domain-error';
import { NoopHandler, SleepHandler } from './sleep.handler';

test('validate() accepts its own output (the worker re-validates the stored, normalised spec)', () => {
  for (const [handler, raw] of [
    [new SleepHandler(), { steps: 3 }],
    [new SleepHandler(), { steps: 5, stepMs: 0, failAtStep: 2 }],
    [new NoopHandler(), {}],
  ] as const) {
    const once = handler.validate(raw);
    assert.deepEqual(handler.validate(JSON.parse(JSON.stringify(once))), once, handler.kind);
  }
});

test('sleep spec errors name the field and the allowed range', () => {
  const sleep = new SleepHandler();
  assert.throws(
    () => sleep.validate({ steps: 2, failAtStep: 2 }),
    (e: ValidationError) => e.problems[0].field === 'spec.failAtStep',
  );
  assert.throws(
    () => sleep.validate({ stepMs: 1.5 }),
    /spec.stepMs: must be a whole number, got 1.5/,
  );
  assert.throws(() => sleep.validate({ steps: 1, nap: true }), /spec.nap: unknown field/);
});
