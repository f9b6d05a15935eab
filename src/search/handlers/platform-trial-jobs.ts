/**
 * TrialJobs on the job platform: JobsService queues and cancels; the two reads JobsService does
 * not offer (several jobs' statuses in one query for the driver's poll, a job's cancel request)
 * are JobsRepository's. The only `jobs` SQL under src/search is the studies list's join
 * (studies.repository.ts), with the platform's statement fragment.
 */
import { Injectable } from '@nestjs/common';
import type { Principal } from '../../platform/auth/projects.service';
import { JobsRepository } from '../../platform/jobs/jobs.repository';
import { JobsService } from '../../platform/jobs/jobs.service';
import { StudiesRepository } from '../storage/studies.repository';
import { TrialJobState, TrialJobs } from './trial-jobs.port';

@Injectable()
export class PlatformTrialJobs implements TrialJobs {
  constructor(
    private readonly rows: JobsRepository,
    private readonly jobs: JobsService,
    private readonly studies: StudiesRepository,
  ) {}

  /** A crash between the ask and this transaction leaves a trial without a job: reconciled. */
  async dispatch(o: {
    projectId: string;
    driverJobId: string;
    kind: string;
    studyId: string;
    trialNumber: number;
    extra?: Readonly<Record<string, unknown>>;
  }): Promise<void> {
    await this.studies.transaction(async (tx, manager) => {
      const { job } = await this.jobs.submit(
        driverPrincipal(o.projectId, o.driverJobId),
        o.kind,
        { ...o.extra, studyId: o.studyId, trial: o.trialNumber },
        { parentId: o.driverJobId },
        manager,
      );
      await tx.setTrialJob(o.studyId, o.trialNumber, job.id);
    });
  }

  async statuses(jobIds: readonly string[]): Promise<Map<string, TrialJobState>> {
    const rows = await this.rows.statusesOf(jobIds);
    return new Map(rows.map((r) => [r.id, { status: r.status, error: r.error }]));
  }

  async cancel(projectId: string, driverJobId: string, jobId: string): Promise<void> {
    await this.jobs.cancel(driverPrincipal(projectId, driverJobId), jobId);
  }

  async cancelRequested(jobId: string): Promise<boolean> {
    return (await this.rows.cancelRequested([jobId])).length > 0;
  }
}

/** The driver acts for its project as a member (it only queues and cancels its own trials). */
function driverPrincipal(projectId: string, driverJobId: string): Principal {
  return { projectId, projectName: '', keyId: `study-driver:${driverJobId}`, role: 'member' };
}
