/**
 * Lease rules checked against client-go's leaderelection (tryAcquireOrRenew in
 * k8s.io/client-go/tools/leaderelection/leaderelection.go): expiry is judged on the candidate's
 * observation clock, a takeover bumps leaseTransitions, a renewal keeps acquireTime.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideLease,
  microTime,
  releasedLease,
  renewDeadlinePassed,
  timingProblem,
  type ObservedLease,
} from './lease';

const timing = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };
const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

function held(holder: string, observedAtMs: number, extra = {}): ObservedLease {
  return {
    resourceVersion: '7',
    observedAtMs,
    record: {
      holderIdentity: holder,
      leaseDurationSeconds: 15,
      acquireTime: microTime(T0 - 60_000),
      renewTime: microTime(T0 - 60_000),
      leaseTransitions: 3,
      ...extra,
    },
  };
}

describe('decideLease', () => {
  test('no Lease: create it, holding it, with zero transitions', () => {
    const d = decideLease(null, 'a', T0, timing);
    assert.equal(d.action, 'create');
    assert.equal(d.action === 'create' && d.spec.holderIdentity, 'a');
    assert.equal(d.action === 'create' && d.spec.leaseTransitions, 0);
    assert.equal(d.action === 'create' && d.spec.leaseDurationSeconds, 15);
  });

  test("another holder's lease counts from when we observed it, not from its renewTime (clock skew)", () => {
    // renewTime says a minute ago, but we saw the record change 5 s ago: 10 s are left.
    const d = decideLease(held('b', T0 - 5000), 'a', T0, timing);
    assert.deepEqual(d, { action: 'wait', holder: 'b', expiresInMs: 10_000 });
  });

  test('an expired lease is taken over and its transitions counted', () => {
    const d = decideLease(held('b', T0 - 15_000), 'a', T0, timing);
    assert.equal(d.action, 'update');
    if (d.action !== 'update') return;
    assert.equal(d.takeover, true);
    assert.equal(d.spec.holderIdentity, 'a');
    assert.equal(d.spec.leaseTransitions, 4);
    assert.equal(d.spec.acquireTime, microTime(T0));
  });

  test("the holder's own duration wins over ours", () => {
    const d = decideLease(held('b', T0 - 20_000, { leaseDurationSeconds: 30 }), 'a', T0, timing);
    assert.deepEqual(d, { action: 'wait', holder: 'b', expiresInMs: 10_000 });
  });

  test('a renewal moves renewTime only', () => {
    const observed = held('a', T0 - 2000);
    const d = decideLease(observed, 'a', T0, timing);
    assert.equal(d.action, 'update');
    if (d.action !== 'update') return;
    assert.equal(d.takeover, false);
    assert.equal(d.spec.acquireTime, observed.record.acquireTime);
    assert.equal(d.spec.leaseTransitions, 3);
    assert.equal(d.spec.renewTime, microTime(T0));
  });

  test('a released lease is taken at once, its release already counted', () => {
    const released = releasedLease(held('b', T0).record, T0);
    assert.equal(released.holderIdentity, '');
    assert.equal(released.leaseTransitions, 4);
    const d = decideLease(
      { resourceVersion: '8', observedAtMs: T0, record: released },
      'a',
      T0,
      timing,
    );
    assert.equal(d.action === 'update' && d.takeover, true);
    assert.equal(d.action === 'update' && d.spec.leaseTransitions, 4);
  });
});

describe('lease timing', () => {
  test('MicroTime has the six fractional digits the API server parses', () => {
    assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 123)), '2026-01-02T03:04:05.123000Z');
  });

  test('renew deadline', () => {
    assert.equal(renewDeadlinePassed(T0, T0 + 9999, timing), false);
    assert.equal(renewDeadlinePassed(T0, T0 + 10_000, timing), true);
  });

  test('unsafe timings are named', () => {
    assert.equal(timingProblem(timing), null);
    assert.match(
      timingProblem({ ...timing, renewDeadlineSeconds: 15 }) ?? '',
      /leaseDurationSeconds must be greater than renewDeadlineSeconds/,
    );
    assert.match(
      timingProblem({ ...timing, retryPeriodSeconds: 10 }) ?? '',
      /renewDeadlineSeconds must be greater than retryPeriodSeconds/,
    );
  });
});
