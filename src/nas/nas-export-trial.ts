/**
 * The architecture a `nas-export` job retrains: a trial of a finished NAS job (`best`, or a
 * complete trial by number, looked up in the job's `trials.json`). Refused with a 422 naming
 * the field when the search has not succeeded or the trial is not a complete one; checked by the
 * controller before queueing and by the job again.
 */
import type { Principal } from '../platform/auth/projects.service';
import { NotFoundError, UnprocessableError } from '../platform/errors/domain-error';
import { JobContext } from '../platform/jobs/job-handler';
import { JobEntity } from '../platform/jobs/job.entity';
import { JobsService } from '../platform/jobs/jobs.service';
import { NasJobResult, TrialSummary } from './core/nas-report';

/** `job` is the NAS job as JobsService found it in the caller's project (undefined: none). */
export async function chosenTrial(
  job: JobEntity | undefined,
  nasJob: string,
  trial: number | 'best',
  readTrials: () => Promise<TrialSummary[]>,
): Promise<{ job: JobEntity; result: NasJobResult; trial: TrialSummary }> {
  if (!job || job.kind !== 'nas') throw new NotFoundError('nas job', nasJob);
  if (job.status !== 'succeeded' || !job.result)
    throw new UnprocessableError(`NAS job ${nasJob} is ${job.status}, not succeeded`, [
      { field: 'nasJob', message: 'the search has not finished' },
    ]);
  const result = job.result as NasJobResult;
  if (trial === 'best') {
    if (!result.best)
      throw new UnprocessableError('the search found no feasible architecture', [
        { field: 'trial', message: 'no best trial' },
      ]);
    return { job, result, trial: result.best };
  }
  const found = (await readTrials()).find((t) => t.number === trial);
  if (!found || found.state !== 'complete')
    throw new UnprocessableError(`trial ${trial} is not a complete trial of NAS job ${nasJob}`, [
      { field: 'trial', message: found ? `trial is ${found.state}` : 'no such trial' },
    ]);
  return { job, result, trial: found };
}

/** A job of the worker's project (the export job reads its NAS job as a project member). */
export async function findJob(
  jobs: JobsService,
  ctx: JobContext,
  id: string,
): Promise<JobEntity | undefined> {
  const principal: Principal = {
    projectId: ctx.projectId,
    projectName: '',
    keyId: `job:${ctx.jobId}`,
    role: 'member',
  };
  try {
    return await jobs.get(principal, id);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}
