/**
 * What the coordinator needs of the job platform for its site jobs: queue one `federation-site`
 * child job per (round, attempt, placement group), idempotently (a re-queued coordinator gets
 * the job its earlier attempt queued, not a second one), look at their statuses and cancel them.
 */
import { Injectable } from '@nestjs/common';
import type { Principal } from '../platform/auth/projects.service';
import { JobsRepository } from '../platform/jobs/jobs.repository';
import { JobsService } from '../platform/jobs/jobs.service';
import type { SiteJobSpec } from './site-job.schema';

export const SITE_JOBS = Symbol('SITE_JOBS');

export interface SiteJobState {
  status: string;
  error: string | null;
}

export interface SiteJobs {
  submit(projectId: string, spec: SiteJobSpec, key: string): Promise<string>;
  statuses(jobIds: readonly string[]): Promise<Map<string, SiteJobState>>;
  cancel(projectId: string, federationId: string, jobId: string): Promise<void>;
}

@Injectable()
export class PlatformSiteJobs implements SiteJobs {
  constructor(
    private readonly rows: JobsRepository,
    private readonly jobs: JobsService,
  ) {}

  async submit(projectId: string, spec: SiteJobSpec, key: string): Promise<string> {
    const { job } = await this.jobs.submit(
      coordinator(projectId, spec.federationId),
      'federation-site',
      spec,
      {
        parentId: spec.federationId,
        idempotencyKey: key,
        // A site's crash is a failed child: the coordinator's quorum rule decides, not a re-run.
        maxAttempts: 1,
      },
    );
    return job.id;
  }

  async statuses(jobIds: readonly string[]): Promise<Map<string, SiteJobState>> {
    const rows = await this.rows.statusesOf(jobIds);
    return new Map(rows.map((r) => [r.id, { status: r.status, error: r.error }]));
  }

  async cancel(projectId: string, federationId: string, jobId: string): Promise<void> {
    await this.jobs.cancel(coordinator(projectId, federationId), jobId);
  }
}

/** The coordinator acts for its project as a member (it only queues and cancels its own sites). */
function coordinator(projectId: string, federationId: string): Principal {
  return { projectId, projectName: '', keyId: `federation:${federationId}`, role: 'member' };
}
