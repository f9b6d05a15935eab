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
import { DataSource } from 'typeorm';
import { Principal } from '../../platform/auth/projects.service';
import { ConflictError } from '../../platform/errors/domain-error';
import { JobCancelledError, JobContext } from '../../platform/jobs/job-handler';
import { JobsService, assertUuid } from '../../platform/jobs/jobs.service';
import {
  readInt,
  readObject,
  readString,
  rejectUnknownFields,
} from '../../platform/validation/spec-reader';
import { Study, Trial } from '../core';
import { FrozenTrial } from '../core/trial';
import { StudyStatus } from '../storage/entities';

/** How often the driver looks at its trials. */
const POLL_MS = 250;

export interface TrialCounts {
  complete: number;
  pruned: number;
  failed: number;
}

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
}

export interface DriveOutcome {
  status: Extract<StudyStatus, 'stopped' | 'completed'>;
  /** True when the time budget ended the asking before the trial budget did. */
  timedOut: boolean;
  counts: TrialCounts;
}

interface InFlight {
  number: number;
  job_id: string | null;
  job_status: string | null;
  job_error: string | null;
}

export class TrialJobDriver {
  constructor(
    private readonly db: DataSource,
    private readonly jobs: JobsService,
  ) {}

  /** Runs the study to its end; throws JobCancelledError when the driver job is cancelled. */
  async drive(o: DriveOptions): Promise<DriveOutcome> {
    const { study, ctx, nTrials, parallelism } = o;
    const principal: Principal = {
      projectId: ctx.projectId,
      projectName: '',
      keyId: `study-driver:${ctx.jobId}`,
      role: 'member',
    };
    const start = o.createdAt.getTime();
    const deadline = o.timeoutMs === null ? Infinity : start + o.timeoutMs;
    for (;;) {
      const inFlight = await this.reconcile(study);
      if (ctx.cancelled) {
        if (await cancelRequested(this.db, ctx.jobId))
          await this.abandon(principal, study, inFlight);
        throw new JobCancelledError();
      }
      const stopping = (await this.status(study.id)) !== 'running';
      let asked = await this.askedCount(study.id);
      const timedOut = Date.now() >= deadline && (nTrials === null || asked < nTrials);
      let budgetLeft = !stopping && !timedOut && (nTrials === null || asked < nTrials);
      let running = inFlight.length;
      while (budgetLeft && running < parallelism) {
        try {
          await this.dispatch(principal, study, ctx.jobId, o.trialKind, o.ask);
          running++;
          asked++;
          budgetLeft = nTrials === null || asked < nTrials;
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
          budgetLeft = false; // the atomic budget check in createTrial said no
        }
      }
      const counts = await this.counts(study.id);
      await o.onPoll?.(counts);
      const done = counts.complete + counts.pruned + counts.failed;
      await ctx.progress(
        nTrials === null ? (Date.now() - start) / (deadline - start) : done / nTrials,
        `${done}${nTrials === null ? '' : `/${nTrials}`} trials finished, ${running} running`,
      );
      if (!budgetLeft && running === 0) {
        const status = stopping ? 'stopped' : 'completed';
        await this.db.query(
          `UPDATE studies SET status = $2 WHERE id = $1 AND status IN ('running', 'stopping')`,
          [study.id, status],
        );
        return { status, timedOut, counts };
      }
      await sleep(POLL_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
  }

  /**
   * Asks one trial and queues its job. The job and the trial's job id are written in one
   * transaction; a crash right after the ask leaves a trial without a job, which reconcile fails.
   */
  private async dispatch(
    principal: Principal,
    study: Study,
    driverJobId: string,
    kind: string,
    ask: () => Promise<Trial> = () => study.askFromSpace(),
  ): Promise<void> {
    const trial = await ask();
    await this.db.transaction(async (manager) => {
      const { job } = await this.jobs.submit(
        principal,
        kind,
        { studyId: study.id, trial: trial.number },
        { parentId: driverJobId },
        manager,
      );
      await manager.query(`UPDATE trials SET job_id = $3 WHERE study_id = $1 AND number = $2`, [
        study.id,
        trial.number,
        job.id,
      ]);
    });
  }

  /** Running trials with their jobs; finishes those no job will ever tell. */
  private async reconcile(study: Study): Promise<InFlight[]> {
    const rows: InFlight[] = await this.db.query(
      `SELECT t.number, t.job_id, j.status AS job_status, j.error AS job_error
         FROM trials t LEFT JOIN jobs j ON j.id = t.job_id
        WHERE t.study_id = $1 AND t.state = 'running' ORDER BY t.number`,
      [study.id],
    );
    const live: InFlight[] = [];
    for (const r of rows) {
      if (r.job_status === 'queued' || r.job_status === 'running') {
        live.push(r);
        continue;
      }
      const error =
        r.job_id === null
          ? 'never dispatched: the driver stopped between ask and queueing the trial job'
          : `trial job ${r.job_id} ended ${r.job_status ?? 'missing'} without a result${r.job_error ? `: ${r.job_error}` : ''}`;
      await this.failTrial(study, r.number, error);
    }
    return live;
  }

  /** A user cancelled the driver: cancel the trial jobs, end their trials, stop the study. */
  private async abandon(principal: Principal, study: Study, inFlight: InFlight[]): Promise<void> {
    for (const t of inFlight) {
      if (t.job_id) await this.jobs.cancel(principal, t.job_id).catch(() => undefined);
      await this.failTrial(study, t.number, 'study cancelled');
    }
    await this.db.query(`UPDATE studies SET status = 'stopped' WHERE id = $1`, [study.id]);
  }

  private async failTrial(study: Study, n: number, error: string): Promise<void> {
    try {
      await study.storage.setTrialUserAttr(study.id, n, 'error', error);
      await study.tell(n, 'failed');
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e; // told meanwhile by its job: keep that
    }
  }

  private async status(studyId: string): Promise<StudyStatus> {
    const rows: { status: StudyStatus }[] = await this.db.query(
      `SELECT status FROM studies WHERE id = $1`,
      [studyId],
    );
    return rows[0].status;
  }

  private async askedCount(studyId: string): Promise<number> {
    const rows: { n: number }[] = await this.db.query(
      `SELECT next_number AS n FROM studies WHERE id = $1`,
      [studyId],
    );
    return rows[0].n;
  }

  private async counts(studyId: string): Promise<TrialCounts> {
    const rows: { state: string; n: number }[] = await this.db.query(
      `SELECT state, count(*)::int AS n FROM trials WHERE study_id = $1 GROUP BY state`,
      [studyId],
    );
    const by = Object.fromEntries(rows.map((r) => [r.state, r.n]));
    return { complete: by.complete ?? 0, pruned: by.pruned ?? 0, failed: by.failed ?? 0 };
  }
}

/** True when a user cancelled the job (a worker shutdown also aborts, but sets no request). */
export async function cancelRequested(db: DataSource, jobId: string): Promise<boolean> {
  const rows: { c: Date | null }[] = await db.query(
    `SELECT cancel_requested_at AS c FROM jobs WHERE id = $1`,
    [jobId],
  );
  return rows[0]?.c != null;
}

/** Tells from a trial job; a trial someone else finished meanwhile (the driver) keeps that. */
export async function tellFromJob(
  study: Study,
  trialNumber: number,
  tell: () => Promise<FrozenTrial>,
): Promise<FrozenTrial> {
  try {
    return await tell();
  } catch (e) {
    if (e instanceof ConflictError) return study.storage.getTrial(study.id, trialNumber);
    throw e;
  }
}

/** The spec of every trial job: `{ studyId, trial }`. */
export interface TrialJobSpec {
  studyId: string;
  trial: number;
}

export function validateTrialJobSpec(raw: unknown): TrialJobSpec {
  const o = readObject(raw, 'spec');
  rejectUnknownFields(o, ['studyId', 'trial'], 'spec');
  const studyId = readString(o, 'studyId', { default: undefined, maxLength: 36 }, 'spec') as string;
  assertUuid(studyId, 'spec.studyId');
  const trial = readInt(o, 'trial', { default: undefined, min: 0, max: 2 ** 31 - 1 }, 'spec');
  return { studyId, trial: trial as number };
}
