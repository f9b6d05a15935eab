import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import type { DeploymentConfig } from '../core/deployment-config';
import { DeploymentEntity } from './deployment.entity';

/** PostgreSQL's unique_violation: the (project, name) index refused a second row of that name. */
const UNIQUE_VIOLATION = '23505';

/** The `deployments` table: every query of deployment rows. */
@Injectable()
export class DeploymentsRepository {
  constructor(private readonly db: DataSource) {}

  private get rows(): Repository<DeploymentEntity> {
    return this.db.getRepository(DeploymentEntity);
  }

  /** The inserted row, or null when the project already has a deployment of that name. */
  async insert(row: {
    projectId: string;
    name: string;
    modelId: string;
    config: DeploymentConfig;
  }): Promise<DeploymentEntity | null> {
    try {
      return await this.rows.save(this.rows.create(row));
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) return null;
      throw err;
    }
  }

  /** Oldest first. */
  list(projectId: string): Promise<DeploymentEntity[]> {
    return this.rows.find({ where: { projectId }, order: { createdAt: 'ASC' } });
  }

  /** Every project's, for a host converging on the table. */
  all(): Promise<DeploymentEntity[]> {
    return this.rows.find({ order: { createdAt: 'ASC' } });
  }

  findById(projectId: string, id: string): Promise<DeploymentEntity | null> {
    return this.rows.findOneBy({ projectId, id });
  }

  findByName(projectId: string, name: string): Promise<DeploymentEntity | null> {
    return this.rows.findOneBy({ projectId, name });
  }

  /** Any project's (the serve-deployment entry knows only the id). */
  findAnyById(id: string): Promise<DeploymentEntity | null> {
    return this.rows.findOneBy({ id });
  }

  /** Writes the new config and bumps the generation; the updated row, or null if gone. */
  async updateConfig(id: string, config: DeploymentConfig): Promise<DeploymentEntity | null> {
    const rows = (await this.db.query(
      `UPDATE deployments SET config = $2, generation = generation + 1, updated_at = now()
        WHERE id = $1 RETURNING id`,
      [id, JSON.stringify(config)],
    )) as [unknown[], number] | unknown[];
    const affected = Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : rows.length;
    return affected > 0 ? this.rows.findOneBy({ id }) : null;
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.rows.delete({ id });
    return (result.affected ?? 0) > 0;
  }
}
