/**
 * The loop every study driver job shares (Katib's experiment controller): keep `parallelism`
 * trials in flight, each a child job of `trialKind` with spec `{ studyId, trial }` and
 * parentId = the driver job, until the budget (nTrials; timeoutMs from the study's creation) is
 * used or the study is stopped; then wait for the trials in flight and end the study. The
 * command-runner `study` job and the `nas` job are its two users.
 *
 * All state lives in the database (trials and their job ids), so the driver is stateless between
 * polls: a re-queued driver (worker or service restart) reconciles from the tables. Finished
 * trials stay as they are (never re-run); trials whose job is still queued or running are left to
 * it (the platform re-queues a job whose worker died); a trial whose job ended without telling
 * (failed for good, cancelled) or that never got a job is marked failed. A user cancel of the
 * driver cancels the trial jobs in flight.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from '../../platform/errors/domain-error';
import { JobCancelledError, JobContext } from '../../platform/jobs/job-handler';
import { Study, Trial } from '../core/study';
import { StudyStatus } from '../storage/entities';
import type { StudiesRepository, TrialCounts } from '../storage/studies.repository';
import { TrialJobs } from './trial-jobs.port';

export type { TrialCounts } from '../storage/studies.repository';

/** The study side of the driver: StudiesRepository in the service, in memory in runNas. */
export type DriverStudies = Pick<
  StudiesRepository,
  'status' | 'askedCount' | 'trialCounts' | 'runningTrials' | 'endDriven' | 'markStopped'
>;

/** How often the driver looks at its trials (runNas, in memory, looks more often). */
const POLL_MS = 250;

export interface DriveOptions {
  study: Study;
  ctx: JobContext;
  /** The child job kind; its spec is `{ studyId, trial }`. */
  trialKind: string;
  nTrials: number | null;
  timeoutMs: number | null;
  parallelism: number;
  /** The study row's creation time: the time budget runs from it, across driver attempts. */
  createdAt: Date;
  /** Asks the next trial (default: `study.askFromSpace()`); NAS re-draws over-budget candidates. */
  ask?: () => Promise<Trial>;
  /** Called once per poll with the counts so far (per-trial metrics, logs). */
  onPoll?: (counts: TrialCounts) => Promise<void>;
  pollMs?: number;
}

export interface DriveOutcome {
  status: Extract<StudyStatus, 'stopped' | 'completed'>;
  /** True when the time budget ended the asking before the trial budget did. */
  timedOut: boolean;
  counts: TrialCounts;
}

interface InFlight {
  number: number;
  jobId: string | null;
}

export class TrialJobDriver {
  constructor(
    private readonly studies: DriverStudies,
    private readonly jobs: TrialJobs,
  ) {}

  /** Runs the study to its end; throws JobCancelledError when the driver job is cancelled. */
  async drive(o: DriveOptions): Promise<DriveOutcome> {
    const { study, ctx, nTrials, parallelism } = o;
    const start = o.createdAt.getTime();
    const deadline = o.timeoutMs === null ? Infinity : start + o.timeoutMs;
    for (;;) {
      const inFlight = await this.reconcile(study);
      // Before the cancel check: a driver that is told to stop reports what has finished.
      const counts = await this.studies.trialCounts(study.id);
      await o.onPoll?.(counts);
      if (ctx.cancelled) {
        if (await this.jobs.cancelRequested(ctx.jobId)) await this.abandon(ctx, study, inFlight);
        throw new JobCancelledError();
      }
      const stopping = (await this.studies.status(study.id)) !== 'running';
      let asked = await this.studies.askedCount(study.id);
      const timedOut = Date.now() >= deadline && (nTrials === null || asked < nTrials);
      let budgetLeft = !stopping && !timedOut && (nTrials === null || asked < nTrials);
      let running = inFlight.length;
      while (budgetLeft && running < parallelism) {
        try {
          const trial = await (o.ask ?? (() => study.askFromSpace()))();
          await this.jobs.dispatch({
            projectId: ctx.projectId,
            driverJobId: ctx.jobId,
            kind: o.trialKind,
            studyId: study.id,
            trialNumber: trial.number,
          });
          running++;
          asked++;
          budgetLeft = nTrials === null || asked < nTrials;
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
          budgetLeft = false; // the atomic budget check in createTrial said no
        }
      }
      const done = counts.complete + counts.pruned + counts.failed;
      await ctx.progress(
        nTrials === null ? (Date.now() - start) / (deadline - start) : done / nTrials,
        `${done}${nTrials === null ? '' : `/${nTrials}`} trials finished, ${running} running`,
      );
      if (!budgetLeft && running === 0) {
        const status = stopping ? 'stopped' : 'completed';
        await this.studies.endDriven(study.id, status);
        return { status, timedOut, counts };
      }
      await sleep(o.pollMs ?? POLL_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
  }

  /** Running trials with a live job; finishes those no job will ever tell. */
  private async reconcile(study: Study): Promise<InFlight[]> {
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

  /** A user cancelled the driver: cancel the trial jobs, end their trials, stop the study. */
  private async abandon(ctx: JobContext, study: Study, inFlight: InFlight[]): Promise<void> {
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
