import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Principal } from '../platform/auth/projects.service';
import { NotFoundError } from '../platform/errors/domain-error';
import type { JobEntity } from '../platform/jobs/job.entity';
import { assertUuid, JobsService } from '../platform/jobs/jobs.service';
import { plannedRounds } from './core/algorithms';
import type { FederationSpec } from './federation.schema';
import {
  FederationsRepository,
  type FederationRow,
  type RoundRow,
} from './storage/federations.repository';

/** Federations over the job platform: the job and its federation row are written together. */
@Injectable()
export class FederationsService {
  constructor(
    private readonly db: DataSource,
    private readonly jobs: JobsService,
    private readonly federations: FederationsRepository,
  ) {}

  async create(
    principal: Principal,
    spec: FederationSpec,
    idempotencyKey?: string,
  ): Promise<JobEntity> {
    return this.db.transaction(async (m) => {
      const { job, created } = await this.jobs.submit(
        principal,
        'federation',
        spec,
        { idempotencyKey },
        m,
      );
      if (created) {
        const stored = job.spec as FederationSpec; // normalised, references resolved to ids
        await this.federations.open(
          {
            id: job.id,
            projectId: principal.projectId,
            algorithm: stored.algorithm,
            placement: 'local',
            roundsPlanned: plannedRounds(stored, stored.epochs),
          },
          stored.sites.map((s) => ({
            name: s.name,
            datasetId: s.dataset,
            architecture: s.architecture ?? stored.architecture,
            samples: null,
          })),
          m,
        );
      }
      return job;
    });
  }

  list(
    principal: Principal,
    limit: number,
    offset: number,
  ): Promise<{ items: FederationRow[]; total: number }> {
    return this.federations.list(principal.projectId, limit, offset);
  }

  async get(
    principal: Principal,
    id: string,
  ): Promise<{ federation: FederationRow; rounds: RoundRow[] }> {
    assertUuid(id);
    const federation = await this.federations.find(principal.projectId, id);
    if (!federation) throw new NotFoundError('federation', id);
    return { federation, rounds: await this.federations.rounds(id) };
  }
}
