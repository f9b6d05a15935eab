/**
 * The Kubernetes executor behind leader election: every API replica builds one, only the replica
 * holding the Lease runs it (dispatch, informers, cancellations, timeouts), so two replicas never
 * act on the same watch events. Losing the Lease stops it before another replica can take over
 * (renew deadline < lease duration), and the new leader re-attaches to the running Jobs by label
 * as a restarted process would. The request path (REST, console) runs on every replica.
 */
import type { Executor } from '../platform/jobs/executor.port';
import type { LeaderElection, LeaderCallbacks } from './leader-election';

export class LeaderElectedExecutor implements Executor {
  readonly name = 'kubernetes' as const;
  private readonly election: LeaderElection;

  constructor(
    private readonly inner: Executor,
    elect: (callbacks: LeaderCallbacks) => LeaderElection,
  ) {
    this.election = elect({
      onStartedLeading: () => inner.start(),
      onStoppedLeading: () => inner.stop(),
    });
  }

  /** Resolves after the first election round (and the executor's start, if this replica won). */
  start(): Promise<void> {
    return this.election.start();
  }

  /** Stop the executor if this replica leads, and release the Lease for a fast hand-over. */
  async stop(): Promise<void> {
    await this.election.stop(true);
  }

  /** Only the leader tracks Jobs; elsewhere the leader's cancellation pass deletes them. */
  async kill(jobId: string): Promise<void> {
    if (this.election.isLeader) await this.inner.kill(jobId);
  }
}
