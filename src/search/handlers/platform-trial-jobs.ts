/**
 * TrialJobs on the job platform: JobsService queues and cancels; the two reads JobsService does
 * not offer (several jobs' statuses in one query for the driver's poll, a job's cancel request)
 * are the only SQL on the `jobs` table in src/search besides the studies list's join.
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Principal } from '../../platform/auth/projects.service';
import { JobsService } from '../../platform/jobs/jobs.service';
import { StudiesRepository } from '../storage/studies.repository';
import { TrialJobState, TrialJobs } from './trial-jobs.port';

@Injectable()
export class PlatformTrialJobs implements TrialJobs {
  constructor(
    private readonly db: DataSource,
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
  }): Promise<void> {
    await this.studies.transaction(async (tx, manager) => {
      const { job } = await this.jobs.submit(
        driverPrincipal(o.projectId, o.driverJobId),
        o.kind,
        { studyId: o.studyId, trial: o.trialNumber },
        { parentId: o.driverJobId },
        manager,
      );
      await tx.setTrialJob(o.studyId, o.trialNumber, job.id);
    });
  }

  async statuses(jobIds: readonly string[]): Promise<Map<string, TrialJobState>> {
    if (jobIds.length === 0) return new Map();
    const rows: { id: string; status: string; error: string | null }[] = await this.db.query(
      `SELECT id, status, error FROM jobs WHERE id = ANY($1::uuid[])`,
      [[...jobIds]],
    );
    return new Map(rows.map((r) => [r.id, { status: r.status, error: r.error }]));
  }

  async cancel(projectId: string, driverJobId: string, jobId: string): Promise<void> {
    await this.jobs.cancel(driverPrincipal(projectId, driverJobId), jobId);
  }

  async cancelRequested(jobId: string): Promise<boolean> {
    const rows: { c: Date | null }[] = await this.db.query(
      `SELECT cancel_requested_at AS c FROM jobs WHERE id = $1`,
      [jobId],
    );
    return rows[0]?.c != null;
  }
}

/** The driver acts for its project as a member (it only queues and cancels its own trials). */
function driverPrincipal(projectId: string, driverJobId: string): Principal {
  return { projectId, projectName: '', keyId: `study-driver:${driverJobId}`, role: 'member' };
}
