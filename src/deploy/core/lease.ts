/**
 * Leader election on a `coordination.k8s.io/v1` Lease, the rules of client-go's
 * `tools/leaderelection` (the library kube-controller-manager and Katib's controller use):
 *
 * - A candidate may take the Lease when it has no holder, or when the holder has not renewed it
 *   for `leaseDurationSeconds` **as observed on the candidate's own clock** (the time it last saw
 *   the record change), so clock skew between replicas cannot shorten a lease.
 * - The holder renews every `retryPeriodSeconds`; if it cannot renew for `renewDeadlineSeconds`
 *   it stops leading. With renewDeadline < leaseDuration the old leader has stopped before any
 *   other replica may take over.
 * - Every write is a replace carrying the resourceVersion that was read: of two candidates
 *   racing, the API server lets one win and answers the other 409 Conflict.
 *
 * Pure: the caller supplies the record, the times and the identity; nothing here does I/O.
 */

/** The fields of `V1LeaseSpec` the election uses (times as MicroTime strings, as on the wire). */
export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface ElectionTiming {
  /** How long a lease lasts without renewal before another replica may take it. */
  leaseDurationSeconds: number;
  /** How long the leader keeps trying to renew before it stops leading. */
  renewDeadlineSeconds: number;
  /** Time between attempts to acquire or renew. */
  retryPeriodSeconds: number;
}

/** client-go's defaults (LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod 2 s). */
export const DEFAULT_ELECTION_TIMING: ElectionTiming = {
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
};

/** What the candidate last read: the record and when, on its own clock, it last changed. */
export interface ObservedLease {
  record: LeaseRecord;
  resourceVersion: string;
  observedAtMs: number;
}

export type LeaseDecision =
  /** No Lease exists: create it holding it. */
  | { action: 'create'; spec: LeaseRecord }
  /** Write this spec over the observed resourceVersion (take over, or renew). */
  | { action: 'update'; spec: LeaseRecord; takeover: boolean }
  /** Someone else holds a valid lease; it expires in `expiresInMs` unless renewed. */
  | { action: 'wait'; holder: string; expiresInMs: number };

/** Timings that make the election safe, or the reason they do not. */
export function timingProblem(t: ElectionTiming): string | null {
  if (!(t.retryPeriodSeconds > 0)) return 'retryPeriodSeconds must be > 0';
  if (!(t.renewDeadlineSeconds > t.retryPeriodSeconds))
    return 'renewDeadlineSeconds must be greater than retryPeriodSeconds';
  if (!(t.leaseDurationSeconds > t.renewDeadlineSeconds))
    return 'leaseDurationSeconds must be greater than renewDeadlineSeconds';
  return null;
}

/**
 * A `MicroTime` as the API server parses it: RFC 3339 with exactly six fractional digits
 * (layout `2006-01-02T15:04:05.000000Z07:00`); JavaScript's three-digit `toISOString()` is
 * refused with 400 (kubernetes-client/javascript#828).
 */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/**
 * The next step for `identity` given the Lease as last observed (null: there is none).
 * `nowMs` is the candidate's clock.
 */
export function decideLease(
  observed: ObservedLease | null,
  identity: string,
  nowMs: number,
  timing: ElectionTiming,
): LeaseDecision {
  const fresh: LeaseRecord = {
    holderIdentity: identity,
    leaseDurationSeconds: timing.leaseDurationSeconds,
    acquireTime: microTime(nowMs),
    renewTime: microTime(nowMs),
    leaseTransitions: 0,
  };
  if (!observed) return { action: 'create', spec: fresh };
  const { record } = observed;
  const holder = record.holderIdentity ?? '';
  if (holder === identity) {
    return { action: 'update', takeover: false, spec: { ...record, renewTime: microTime(nowMs) } };
  }
  if (holder !== '') {
    const durationMs = (record.leaseDurationSeconds ?? timing.leaseDurationSeconds) * 1000;
    const expiresInMs = observed.observedAtMs + durationMs - nowMs;
    if (expiresInMs > 0) return { action: 'wait', holder, expiresInMs };
  }
  return {
    action: 'update',
    takeover: true,
    spec: {
      ...fresh,
      // A released lease (no holder) keeps its count: the transition happened at release.
      leaseTransitions: (record.leaseTransitions ?? 0) + (holder === '' ? 0 : 1),
    },
  };
}

/**
 * The spec a leader writes when it steps down on purpose (client-go's ReleaseOnCancel): no
 * holder and a one-second duration, so the next candidate takes over at its next try instead of
 * waiting out the lease.
 */
export function releasedLease(record: LeaseRecord, nowMs: number): LeaseRecord {
  return {
    ...record,
    holderIdentity: '',
    leaseDurationSeconds: 1,
    renewTime: microTime(nowMs),
    leaseTransitions: (record.leaseTransitions ?? 0) + 1,
  };
}

/** Whether a leader whose last successful renewal was at `lastRenewMs` must stop leading. */
export function renewDeadlinePassed(
  lastRenewMs: number,
  nowMs: number,
  timing: ElectionTiming,
): boolean {
  return nowMs - lastRenewMs >= timing.renewDeadlineSeconds * 1000;
}
