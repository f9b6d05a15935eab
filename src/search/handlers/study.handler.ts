/**
 * Job kind `study`: the driver of a command-runner study (Katib's experiment controller). It keeps
 * `parallelism` trials in flight, each a `trial-command` child job (parentId = this job) run by
 * the job executors, until the budget (nTrials, timeoutS from the study's creation) is used or
 * the study is stopped; then it waits for the trials in flight and ends the study. The loop,
 * the reconciliation after a re-queue and the cancel are TrialJobDriver's (trial-job-driver.ts),
 * shared with the `nas` job.
 */
import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, UnprocessableError } from '../../platform/errors/domain-error';
import { JobContext, JobHandler } from '../../platform/jobs/job-handler';
import { StudyJobSpec, studyJobSpec } from '../search-jobs.schema';
import { StudyStatus } from '../storage/entities';
import { StudiesRepository, TrialCounts } from '../storage/studies.repository';
import { StudyLoader } from '../study-loader';
import { TrialJobDriver } from './trial-job-driver';
import { TRIAL_JOBS, TrialJobs } from './trial-jobs.port';
import { trialPodSpec } from '../trial-pods';

export type StudySpec = StudyJobSpec;

export interface StudyRunResult {
  status: StudyStatus;
  trials: TrialCounts;
  bestValues: number[] | null;
  bestParams: Record<string, unknown> | null;
}

@Injectable()
export class StudyJobHandler implements JobHandler<StudySpec, StudyRunResult> {
  readonly kind = 'study';
  readonly lane = 'coordinator' as const;

  private readonly driver: TrialJobDriver;

  constructor(
    private readonly loader: StudyLoader,
    private readonly studies: StudiesRepository,
    @Inject(TRIAL_JOBS) jobs: TrialJobs,
  ) {
    this.driver = new TrialJobDriver(studies, jobs);
  }

  validate(raw: unknown): StudySpec {
    return studyJobSpec.parse(raw);
  }

  async run(spec: StudySpec, ctx: JobContext): Promise<StudyRunResult> {
    const { row, study } = await this.loader.load(ctx.projectId, spec.studyId);
    if (row.config.runner.type !== 'command')
      throw new UnprocessableError(`study ${study.id} has an external runner: nothing to drive`);
    if (row.job_id !== ctx.jobId)
      throw new ConflictError(`study ${study.id} is driven by job ${row.job_id}`);
    const { nTrials, timeoutS, parallelism } = row.config.budget;
    if (ctx.attempt > 1) await ctx.log(`resuming study ${study.id} (attempt ${ctx.attempt})`);
    const { status, counts } = await this.driver.drive({
      study,
      ctx,
      trialKind: 'trial-command',
      nTrials,
      timeoutMs: timeoutS === null ? null : timeoutS * 1000,
      parallelism,
      budget: () => this.studies.budget(study.id),
      createdAt: row.created_at,
      trialSpec: trialPodSpec(row.config),
    });
    const best = study.directions.length === 1 ? await study.bestTrial() : undefined;
    return {
      status,
      trials: counts,
      bestValues: best?.values ?? null,
      bestParams: best?.params ?? null,
    };
  }
}
