import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeploymentProfileEntity } from './deployment-profile.entity';

/** The `deployment_profiles` table: written by the profile job, read by tune and the API. */
@Injectable()
export class DeploymentProfilesRepository {
  constructor(private readonly db: DataSource) {}

  private get repo() {
    return this.db.getRepository(DeploymentProfileEntity);
  }

  /** Idempotent per job: a re-run of the same job replaces its profile. */
  async save(
    row: Omit<DeploymentProfileEntity, 'createdAt' | 'job' | 'project' | 'deployment'>,
  ): Promise<void> {
    await this.repo.save(Object.assign(new DeploymentProfileEntity(), row));
  }

  latest(projectId: string, deploymentId: string): Promise<DeploymentProfileEntity | null> {
    return this.repo.findOne({
      where: { projectId, deploymentId },
      order: { createdAt: 'DESC' },
    });
  }

  byId(projectId: string, id: string): Promise<DeploymentProfileEntity | null> {
    return this.repo.findOne({ where: { projectId, id } });
  }
}
