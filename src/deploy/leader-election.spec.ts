/**
 * Leader election through client-node against the test API server's Leases (409 on a stale
 * resourceVersion, MicroTime parsed with six digits, as k8s.io/apiserver does). Timings are
 * short (lease 2 s, renew deadline 1 s, retry 100 ms); the bounds asserted are the lease
 * duration plus scheduling slack for a loaded machine.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiServer } from '../../test/k8s/fake-apiserver';
import { waitFor } from '../../test/k8s/harness';
import { kubeConfigFor } from '../../test/k8s/kubeconfig';
import { kubernetesLeaseStore, LeaderElection } from './leader-election';

const NS = 'autodl';
const LEASE = 'autodl-executor';
const timing = { leaseDurationSeconds: 2, renewDeadlineSeconds: 1, retryPeriodSeconds: 0.1 };
const SLACK_MS = 3000;
/** How long a wait may take on a loaded CI machine (the asserted bounds are separate). */
const WAIT_MS = 30_000;

interface Candidate {
  election: LeaderElection;
  started: number[];
  stopped: number[];
}

describe('LeaderElection on a coordination.k8s.io/v1 Lease', () => {
  let api: FakeApiServer;
  const candidates: Candidate[] = [];
  /** How many candidates ran their singletons at once, at most. */
  let leading = 0;
  let maxLeading = 0;

  async function setUp(): Promise<void> {
    api = new FakeApiServer();
    await api.listen();
    leading = 0;
    maxLeading = 0;
  }

  function candidate(identity: string, url = api.url): Candidate {
    const c: Candidate = { started: [], stopped: [], election: undefined as never };
    c.election = new LeaderElection(kubernetesLeaseStore(kubeConfigFor(url, NS), NS, LEASE), {
      identity,
      timing,
      log: () => undefined,
      callbacks: {
        onStartedLeading: async () => {
          c.started.push(Date.now());
          maxLeading = Math.max(maxLeading, ++leading);
        },
        onStoppedLeading: async () => {
          c.stopped.push(Date.now());
          leading -= 1;
        },
      },
    });
    candidates.push(c);
    return c;
  }

  /** `a` leads (its first round ran before start() resolved), `b` campaigns beside it. */
  async function leaderAndStandby(): Promise<[Candidate, Candidate]> {
    await setUp();
    const a = candidate('a');
    await a.election.start();
    assert.equal(a.election.isLeader, true, 'the first round ran before start() resolved');
    const b = candidate('b');
    void b.election.start();
    await new Promise((r) => setTimeout(r, 300));
    return [a, b];
  }

  afterEach(async () => {
    for (const c of candidates.splice(0)) await c.election.stop(false);
    await api.close();
  });

  test('two racing candidates: exactly one leads, the Lease names it', async () => {
    await setUp();
    const [a, b] = [candidate('a'), candidate('b')];
    void a.election.start();
    void b.election.start();
    const leader = await waitFor(
      'a leader',
      () => (a.election.isLeader ? a : b.election.isLeader ? b : undefined),
      WAIT_MS,
    );
    assert.ok(leader);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(maxLeading, 1);
    assert.equal(a.election.isLeader !== b.election.isLeader, true);
    const lease = api.leases.get(NS, LEASE);
    assert.equal(lease?.spec.holderIdentity, leader.election.identity);
    assert.match(lease?.spec.renewTime ?? '', /\.\d{6}Z$/);
  });

  test('the leader crashes: the standby takes over within the lease duration', async () => {
    const [a, b] = await leaderAndStandby();
    assert.equal(b.election.isLeader, false, 'b waits while a renews');
    const crashedAt = Date.now();
    await a.election.stop(false); // no release: the Lease is left to expire, as after SIGKILL
    await waitFor(
      'b leads',
      () => b.election.isLeader,
      timing.leaseDurationSeconds * 1000 + SLACK_MS,
    );
    const takeover = b.started[0] - crashedAt;
    assert.ok(takeover <= timing.leaseDurationSeconds * 1000 + SLACK_MS, `took ${takeover} ms`);
    // The Lease expired on b's clock: not before a lease duration after b last saw a renew.
    assert.ok(takeover >= timing.leaseDurationSeconds * 1000 - 500, `took ${takeover} ms`);
    assert.equal(api.leases.get(NS, LEASE)?.spec.leaseTransitions, 1);
  });

  test('a graceful stop releases the Lease: the standby takes over at its next try', async () => {
    const [a, b] = await leaderAndStandby();
    const stoppedAt = Date.now();
    await a.election.stop(true);
    await waitFor('b leads', () => b.election.isLeader, WAIT_MS);
    assert.ok(b.started[0] - stoppedAt < timing.leaseDurationSeconds * 1000);
    assert.equal(a.stopped.length, 1);
  });

  test('a leader cut off from the API server stops before the standby starts', async () => {
    const [a, b] = await leaderAndStandby();
    api.leases.unreachableFor.add('a');
    await waitFor(
      'b leads',
      () => b.election.isLeader,
      timing.leaseDurationSeconds * 1000 + SLACK_MS,
    );
    assert.equal(a.election.isLeader, false);
    assert.equal(a.stopped.length, 1);
    assert.ok(a.stopped[0] <= b.started[0], 'the old leader stopped first');
    assert.equal(maxLeading, 1);
  });

  test('an API server that cannot be reached fails the start with its error', async () => {
    await setUp();
    const closed = new FakeApiServer();
    const url = await closed.listen();
    await closed.close();
    const a = candidate('a', url);
    await assert.rejects(a.election.start(), /ECONNREFUSED|connect/);
    assert.equal(a.election.isLeader, false);
    assert.equal(a.started.length, 0);
  });
});
