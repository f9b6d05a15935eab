/**
 * Leader election through a `coordination.k8s.io/v1` Lease (the rules are in core/lease.ts):
 * every API replica runs one LeaderElection; the one holding the Lease runs the singletons (the
 * Kubernetes executor's dispatcher, informers, cancellation and timeout loop). client-node has no
 * leader-election helper, so this is the small loop client-go's `leaderelection` package runs:
 * read, decide, create or replace with the read resourceVersion, every retry period.
 */
import { CoordinationV1Api, KubeConfig, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { apiStatus, describeError } from './api-errors';
import {
  decideLease,
  releasedLease,
  renewDeadlinePassed,
  type ElectionTiming,
  type LeaseRecord,
  type ObservedLease,
} from './core/lease';

/** The Lease as stored: its spec and the resourceVersion a replace must carry. */
export interface StoredLease {
  record: LeaseRecord;
  resourceVersion: string;
}

/** The Lease calls the election makes; a 409 rejects with an error whose `apiStatus` is 409. */
export interface LeaseStore {
  read(): Promise<StoredLease | null>;
  create(record: LeaseRecord): Promise<StoredLease>;
  replace(record: LeaseRecord, resourceVersion: string): Promise<StoredLease>;
}

export interface LeaderCallbacks {
  /** This replica became the leader: start the singletons. */
  onStartedLeading(): Promise<void>;
  /** This replica is no longer the leader (lost the Lease, or stopping): stop them. */
  onStoppedLeading(): Promise<void>;
}

export interface LeaderElectionOptions {
  identity: string;
  timing: ElectionTiming;
  callbacks: LeaderCallbacks;
  log: (message: string) => void;
  now?: () => number;
}

export class LeaderElection {
  private observed: ObservedLease | null = null;
  private leading = false;
  private lastRenewMs = 0;
  private timer?: NodeJS.Timeout;
  private running = false;
  private tick?: Promise<void>;
  /** Start/stop callbacks run one after another, in the order leadership changed. */
  private transitions: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(
    private readonly store: LeaseStore,
    private readonly options: LeaderElectionOptions,
  ) {
    this.now = options.now ?? (() => Date.now());
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get identity(): string {
    return this.options.identity;
  }

  /**
   * Start campaigning. The first attempt runs before this resolves: a replica that wins it has
   * its singletons started by then (as a lone replica's executor was), and one that cannot reach
   * the API server at all (bad kubeconfig, 401) or cannot start them fails with the error.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      if (await this.tryAcquireOrRenew()) {
        this.lastRenewMs = this.now();
        this.leading = true;
        this.options.log(`${this.options.identity} became the leader`);
        await this.options.callbacks.onStartedLeading();
      }
    } catch (err) {
      this.running = false;
      if (this.leading) {
        this.leading = false;
        await this.options.callbacks.onStoppedLeading().catch(() => undefined);
        await this.release();
      }
      throw err;
    }
    this.schedule(this.options.timing.retryPeriodSeconds * 1000);
  }

  /**
   * Stop campaigning. A leader stops its singletons, then (`release`) gives the Lease up so a
   * standby takes over at its next try rather than after the lease duration (a rolling update).
   * Without `release` the Lease is left to expire, as after a crash.
   */
  async stop(release = true): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.tick;
    if (this.leading) {
      this.leading = false;
      await this.transition('stopped', () => this.options.callbacks.onStoppedLeading());
      if (release) await this.release();
    }
    await this.transitions;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.tick = this.attempt().finally(() => {
        this.tick = undefined;
        const { retryPeriodSeconds } = this.options.timing;
        // Candidates add jitter (client-go's JitterFactor 1.2) so they do not retry in step.
        const jitter = this.leading ? 0 : Math.random() * 0.2;
        this.schedule(retryPeriodSeconds * 1000 * (1 + jitter));
      });
    }, delayMs);
  }

  private async attempt(): Promise<void> {
    const ok = await this.tryAcquireOrRenew().catch((err: unknown) => {
      this.options.log(
        `lease ${this.leading ? 'renewal' : 'acquisition'} failed: ${describeError(err)}`,
      );
      return false;
    });
    if (!this.running) return;
    if (ok) {
      this.lastRenewMs = this.now();
      if (!this.leading) {
        this.leading = true;
        this.options.log(`${this.options.identity} became the leader`);
        void this.transition('started', () => this.options.callbacks.onStartedLeading()).then(
          (started) => (started ? undefined : this.abdicate()),
        );
      }
    } else if (this.leading) {
      const holder = this.observed?.record.holderIdentity ?? '';
      const takenOver = holder !== '' && holder !== this.options.identity;
      if (!takenOver && !renewDeadlinePassed(this.lastRenewMs, this.now(), this.options.timing)) {
        return;
      }
      this.leading = false;
      this.options.log(
        takenOver
          ? `${holder} holds the lease now: ${this.options.identity} steps down`
          : `${this.options.identity} could not renew the lease in time: stepping down`,
      );
      void this.transition('stopped', () => this.options.callbacks.onStoppedLeading());
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const stored = await this.store.read();
    const now = this.now();
    if (!stored) this.observed = null;
    else if (stored.resourceVersion !== this.observed?.resourceVersion) {
      // The record changed since we last looked: its holder is alive as of now, on our clock.
      this.observed = { ...stored, observedAtMs: now };
    }
    const decision = decideLease(this.observed, this.options.identity, now, this.options.timing);
    if (decision.action === 'wait') return false;
    try {
      const written =
        decision.action === 'create'
          ? await this.store.create(decision.spec)
          : await this.store.replace(decision.spec, this.observed?.resourceVersion ?? '');
      this.observed = { ...written, observedAtMs: now };
      return true;
    } catch (err) {
      // Another replica wrote first (409): it is the leader; we read its record next time.
      if (apiStatus(err) === 409) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const current = this.observed;
    if (!current || current.record.holderIdentity !== this.options.identity) return;
    try {
      await this.store.replace(releasedLease(current.record, this.now()), current.resourceVersion);
    } catch (err) {
      this.options.log(`could not release the lease: ${describeError(err)}`);
    }
  }

  /** Runs after the transitions before it; resolves false (logged) if the callback threw. */
  private transition(what: 'started' | 'stopped', run: () => Promise<void>): Promise<boolean> {
    const done = this.transitions.then(run).then(
      () => true,
      (err: unknown) => {
        this.options.log(`${what} leading, but the callback failed: ${describeError(err)}`);
        return false;
      },
    );
    this.transitions = done.then(() => undefined);
    return done;
  }

  /** The singletons could not start (e.g. the API server refused the list): let another try. */
  private async abdicate(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    await this.transition('stopped', () => this.options.callbacks.onStoppedLeading());
    await this.release();
  }
}

function toLease(
  name: string,
  namespace: string,
  record: LeaseRecord,
  resourceVersion?: string,
): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    // V1MicroTime writes the six fractional digits the API server requires for MicroTime.
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      leaseTransitions: record.leaseTransitions,
      ...(record.acquireTime ? { acquireTime: new V1MicroTime(record.acquireTime) } : {}),
      ...(record.renewTime ? { renewTime: new V1MicroTime(record.renewTime) } : {}),
    },
  };
}

function fromLease(lease: V1Lease): StoredLease {
  const spec = lease.spec ?? {};
  // client-node hands MicroTime fields back as the wire string (it has no decoder for them).
  const time = (d: Date | string | undefined) =>
    d === undefined ? undefined : new V1MicroTime(d).toISOString();
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    record: {
      holderIdentity: spec.holderIdentity,
      leaseDurationSeconds: spec.leaseDurationSeconds,
      leaseTransitions: spec.leaseTransitions,
      acquireTime: time(spec.acquireTime),
      renewTime: time(spec.renewTime),
    },
  };
}

/** A LeaseStore on the cluster's API through client-node. */
export function kubernetesLeaseStore(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
): LeaseStore {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  return {
    async read() {
      try {
        return fromLease(await api.readNamespacedLease({ name, namespace }));
      } catch (err) {
        if (apiStatus(err) === 404) return null;
        throw err;
      }
    },
    async create(record) {
      return fromLease(
        await api.createNamespacedLease({ namespace, body: toLease(name, namespace, record) }),
      );
    },
    async replace(record, resourceVersion) {
      return fromLease(
        await api.replaceNamespacedLease({
          name,
          namespace,
          body: toLease(name, namespace, record, resourceVersion),
        }),
      );
    },
  };
}
