/**
 * A study driver's trial jobs in flight (TrialJobDriver's poll): which running trials still have
 * a live job after a re-queue (the others are failed, since no job will ever tell them), asking
 * and queueing more, and cancelling them all when a user cancels the driver.
 */
import { ConflictError } from '../../platform/errors/domain-error';
import { JobContext } from '../../platform/jobs/job-handler';
import { Study, Trial } from '../core/study';
import type { StudiesRepository } from '../storage/studies.repository';
import { TrialJobs } from './trial-jobs.port';

/** A running trial and the job that runs it (null: none was queued). */
export interface InFlight {
  number: number;
  jobId: string | null;
}

export class TrialsInFlight {
  constructor(
    private readonly studies: Pick<StudiesRepository, 'runningTrials' | 'markStopped'>,
    private readonly jobs: TrialJobs,
  ) {}

  /** Running trials with a live job; finishes those no job will ever tell. */
  async reconcile(study: Study): Promise<InFlight[]> {
    const running = await this.studies.runningTrials(study.id);
    const jobs = await this.jobs.statuses(
      running.flatMap((t) => (t.jobId === null ? [] : [t.jobId])),
    );
    const live: InFlight[] = [];
    for (const t of running) {
      const job = t.jobId === null ? undefined : jobs.get(t.jobId);
      if (job?.status === 'queued' || job?.status === 'running') {
        live.push(t);
        continue;
      }
      const error =
        t.jobId === null
          ? 'never dispatched: the driver stopped between ask and queueing the trial job'
          : `trial job ${t.jobId} ended ${job?.status ?? 'missing'} without a result${job?.error ? `: ${job.error}` : ''}`;
      await this.failTrial(study, t.number, error);
    }
    return live;
  }

  /**
   * Asks up to `count` trials and queues a `kind` job for each. `refused` when an ask hit the
   * atomic budget check in createTrial (a ConflictError): the budget is used up.
   */
  async launch(o: {
    study: Study;
    ctx: JobContext;
    kind: string;
    ask: () => Promise<Trial>;
    count: number;
    extra?: Readonly<Record<string, unknown>>;
  }): Promise<{ launched: number; refused: boolean }> {
    let launched = 0;
    while (launched < o.count) {
      try {
        const trial = await o.ask();
        await this.jobs.dispatch({
          projectId: o.ctx.projectId,
          driverJobId: o.ctx.jobId,
          kind: o.kind,
          studyId: o.study.id,
          trialNumber: trial.number,
          ...(o.extra ? { extra: o.extra } : {}),
        });
        launched++;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
        return { launched, refused: true };
      }
    }
    return { launched, refused: false };
  }

  /** A user cancelled the driver: cancel the trial jobs, end their trials, stop the study. */
  async abandon(ctx: JobContext, study: Study, inFlight: readonly InFlight[]): Promise<void> {
    for (const t of inFlight) {
      if (t.jobId) await this.jobs.cancel(ctx.projectId, ctx.jobId, t.jobId).catch(() => undefined);
      await this.failTrial(study, t.number, 'study cancelled');
    }
    await this.studies.markStopped(study.id);
  }

  private async failTrial(study: Study, n: number, error: string): Promise<void> {
    try {
      await study.storage.setTrialUserAttr(study.id, n, 'error', error);
      await study.tell(n, 'failed');
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e; // told meanwhile by its job: keep that
    }
  }
}
