/**
 * Job kind `study`: the driver of a command-runner study (Katib's experiment controller). It keeps
 * `parallelism` trials in flight, each a `trial-command` child job (parentId = this job) run by
 * the job executors, until the budget (nTrials, timeoutS from the study's creation) is used or
 * the study is stopped; then it waits for the trials in flight and ends the study.
 *
 * All state lives in the database (trials and their job ids), so the driver is stateless between
 * polls: a re-queued driver (worker or service restart) reconciles from the tables. Completed
 * trials stay as they are (never re-run); trials whose job is still queued or running are left to
 * it (the platform re-queues a job whose worker died); a trial whose job ended without telling
 * (failed for good, cancelled) or that never got a job is marked failed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConflictError, UnprocessableError } from '../../platform/errors/domain-error';
import { Principal } from '../../platform/auth/projects.service';
import { JobCancelledError, JobContext, JobHandler } from '../../platform/jobs/job-handler';
import { JobsService, assertUuid } from '../../platform/jobs/jobs.service';
import { readObject, readString, rejectUnknownFields } from '../../platform/validation/spec-reader';
import { Study } from '../core';
import { StudyStatus } from '../storage/entities';
import { findStudyRow, loadStudy } from '../study-loader';

export interface StudySpec {
  studyId: string;
}

export interface StudyRunResult {
  status: StudyStatus;
  trials: { complete: number; pruned: number; failed: number };
  bestValues: number[] | null;
  bestParams: Record<string, unknown> | null;
}

/** How often the driver looks at its trials. */
const POLL_MS = 250;

interface InFlight {
  number: number;
  job_id: string | null;
  job_status: string | null;
  job_error: string | null;
}

@Injectable()
export class StudyJobHandler implements JobHandler<StudySpec, StudyRunResult> {
  readonly kind = 'study';

  constructor(
    private readonly db: DataSource,
    private readonly jobs: JobsService,
  ) {}

  validate(raw: unknown): StudySpec {
    const o = readObject(raw, 'spec');
    rejectUnknownFields(o, ['studyId'], 'spec');
    const studyId = readString(o, 'studyId', { default: undefined, maxLength: 36 }, 'spec');
    assertUuid(studyId as string, 'spec.studyId');
    return { studyId: studyId as string };
  }

  async run(spec: StudySpec, ctx: JobContext): Promise<StudyRunResult> {
    const { row, study } = await loadStudy(this.db, ctx.projectId, spec.studyId);
    if (row.config.runner.type !== 'command')
      throw new UnprocessableError(`study ${study.id} has an external runner: nothing to drive`);
    if (row.job_id !== ctx.jobId)
      throw new ConflictError(`study ${study.id} is driven by job ${row.job_id}`);
    const principal: Principal = {
      projectId: ctx.projectId,
      projectName: '',
      keyId: `study-driver:${ctx.jobId}`,
    };
    const { nTrials, timeoutS, parallelism } = row.config.budget;
    const deadline = timeoutS === null ? Infinity : row.created_at.getTime() + timeoutS * 1000;
    if (ctx.attempt > 1) await ctx.log(`resuming study ${study.id} (attempt ${ctx.attempt})`);

    for (;;) {
      const inFlight = await this.reconcile(study);
      const current = await findStudyRow(this.db, ctx.projectId, study.id);
      if (ctx.cancelled) {
        if (await this.userCancelled(ctx.jobId)) await this.abandon(principal, study, inFlight);
        throw new JobCancelledError();
      }
      const stopping = current.status !== 'running';
      let asked = await this.askedCount(study.id);
      let budgetLeft = !stopping && Date.now() < deadline && (nTrials === null || asked < nTrials);
      let running = inFlight.length;
      while (budgetLeft && running < parallelism) {
        try {
          await this.dispatch(principal, study, ctx.jobId);
          running++;
          asked++;
          budgetLeft = nTrials === null || asked < nTrials;
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
          budgetLeft = false; // the atomic budget check in createTrial said no
        }
      }
      const counts = await this.counts(study.id);
      const done = counts.complete + counts.pruned + counts.failed;
      const elapsed = Date.now() - row.created_at.getTime();
      await ctx.progress(
        nTrials === null ? elapsed / (deadline - row.created_at.getTime()) : done / nTrials,
        `${done}${nTrials === null ? '' : `/${nTrials}`} trials finished, ${running} running`,
      );
      if (!budgetLeft && running === 0) {
        const status: StudyStatus = stopping ? 'stopped' : 'completed';
        await this.db.query(
          `UPDATE studies SET status = $2 WHERE id = $1 AND status IN ('running', 'stopping')`,
          [study.id, status],
        );
        return this.summary(study, status, counts);
      }
      await sleep(POLL_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
  }

  /**
   * Asks one trial and queues its job. The job and the trial's job id are written in one
   * transaction; a crash right after the ask leaves a trial without a job, which reconcile fails.
   */
  private async dispatch(principal: Principal, study: Study, driverJobId: string): Promise<void> {
    const trial = await study.askFromSpace();
    await this.db.transaction(async (manager) => {
      const { job } = await this.jobs.submit(
        principal,
        'trial-command',
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

  private async userCancelled(jobId: string): Promise<boolean> {
    const rows: { c: Date | null }[] = await this.db.query(
      `SELECT cancel_requested_at AS c FROM jobs WHERE id = $1`,
      [jobId],
    );
    return rows[0]?.c != null;
  }

  private async askedCount(studyId: string): Promise<number> {
    const rows: { n: number }[] = await this.db.query(
      `SELECT next_number AS n FROM studies WHERE id = $1`,
      [studyId],
    );
    return rows[0].n;
  }

  private async counts(
    studyId: string,
  ): Promise<{ complete: number; pruned: number; failed: number }> {
    const rows: { state: string; n: number }[] = await this.db.query(
      `SELECT state, count(*)::int AS n FROM trials WHERE study_id = $1 GROUP BY state`,
      [studyId],
    );
    const by = Object.fromEntries(rows.map((r) => [r.state, r.n]));
    return { complete: by.complete ?? 0, pruned: by.pruned ?? 0, failed: by.failed ?? 0 };
  }

  private async summary(
    study: Study,
    status: StudyStatus,
    trials: StudyRunResult['trials'],
  ): Promise<StudyRunResult> {
    const best = study.directions.length === 1 ? await study.bestTrial() : undefined;
    return {
      status,
      trials,
      bestValues: best?.values ?? null,
      bestParams: best?.params ?? null,
    };
  }
}
