import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../errors/domain-error';
import { NoopHandler } from './noop.handler';
import { SleepHandler } from './sleep.handler';

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

test('crashAtStep and crashOnAttempt are refused unless test hooks are on (AUTODL_TEST_HOOKS=1)', () => {
  const off = new SleepHandler();
  for (const [field, spec] of [
    ['spec.crashAtStep', { steps: 3, crashAtStep: 1 }],
    ['spec.crashOnAttempt', { steps: 3, crashOnAttempt: 5 }],
  ] as const) {
    assert.throws(
      () => off.validate(spec),
      (e: ValidationError) =>
        e.problems[0].field === field && /AUTODL_TEST_HOOKS=1/.test(e.problems[0].message),
    );
  }
  // The normalised "off" values every stored spec carries still validate (workers re-validate).
  const stored = off.validate({ steps: 2 });
  assert.deepEqual(off.validate(JSON.parse(JSON.stringify(stored))), stored);
  const on = new SleepHandler({ testHooks: true });
  assert.equal(on.validate({ steps: 3, crashAtStep: 1, crashOnAttempt: 2 }).crashAtStep, 1);
});
