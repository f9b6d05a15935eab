/**
 * The loop every study driver job shares (Katib's experiment controller; the command-runner
 * `study` job and the `nas` job): keep `parallelism` trials in flight, each a child job of
 * `trialKind` with spec `{ studyId, trial }` and parentId = the driver job, until the budget
 * (nTrials; timeoutMs from the study's creation) is used or the study is stopped; then wait for
 * the trials in flight and end the study. All state lives in the database, so a re-queued driver
 * (worker or service restart) reconciles from the tables: TrialsInFlight (trials-in-flight.ts)
 * leaves finished trials and live jobs alone, fails a trial no job will ever tell, and cancels
 * the trial jobs when a user cancels the driver.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { JobCancelledError, JobContext } from '../../platform/jobs/job-handler';
import { Study, Trial } from '../core/study';
import { StudyStatus } from '../storage/entities';
import type { StudiesRepository, TrialCounts } from '../storage/studies.repository';
import { TrialJobs } from './trial-jobs.port';
import { TrialsInFlight } from './trials-in-flight';

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
  /**
   * The budget as it is now, read at every poll (a running study's nTrials and parallelism may
   * be changed, as Katib allows for maxTrialCount and parallelTrialCount); default: fixed.
   */
  budget?: () => Promise<{ nTrials: number | null; parallelism: number }>;
  /** The study row's creation time: the time budget runs from it, across driver attempts. */
  createdAt: Date;
  /** Asks the next trial (default: `study.askFromSpace()`); NAS re-draws over-budget candidates. */
  ask?: () => Promise<Trial>;
  /** More of each trial job's spec (a command study's trialImage and placement). */
  trialSpec?: Readonly<Record<string, unknown>>;
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

export class TrialJobDriver {
  private readonly inFlight: TrialsInFlight;

  constructor(
    private readonly studies: DriverStudies,
    private readonly jobs: TrialJobs,
  ) {
    this.inFlight = new TrialsInFlight(studies, jobs);
  }

  /** Runs the study to its end; throws JobCancelledError when the driver job is cancelled. */
  async drive(o: DriveOptions): Promise<DriveOutcome> {
    const { study, ctx } = o;
    let { nTrials, parallelism } = o;
    const start = o.createdAt.getTime();
    const deadline = o.timeoutMs === null ? Infinity : start + o.timeoutMs;
    for (;;) {
      const inFlight = await this.inFlight.reconcile(study);
      // Before the cancel check: a driver that is told to stop reports what has finished.
      const counts = await this.studies.trialCounts(study.id);
      await o.onPoll?.(counts);
      if (ctx.cancelled) {
        if (await this.jobs.cancelRequested(ctx.jobId))
          await this.inFlight.abandon(ctx, study, inFlight);
        throw new JobCancelledError();
      }
      if (o.budget) ({ nTrials, parallelism } = await o.budget());
      const stopping = (await this.studies.status(study.id)) !== 'running';
      const asked = await this.studies.askedCount(study.id);
      const unasked = nTrials === null ? Infinity : nTrials - asked;
      const timedOut = Date.now() >= deadline && unasked > 0;
      let budgetLeft = !stopping && !timedOut && unasked > 0;
      let running = inFlight.length;
      if (budgetLeft && running < parallelism) {
        const { launched, refused } = await this.inFlight.launch({
          study,
          ctx,
          kind: o.trialKind,
          ask: o.ask ?? (() => study.askFromSpace()),
          count: Math.min(parallelism - running, unasked),
          ...(o.trialSpec ? { extra: o.trialSpec } : {}),
        });
        running += launched;
        budgetLeft = !refused && unasked - launched > 0;
      }
      const done = counts.complete + counts.pruned + counts.failed;
      await ctx.progress(
        nTrials === null ? (Date.now() - start) / (deadline - start) : Math.min(1, done / nTrials),
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
}
