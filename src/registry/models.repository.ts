import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import type { ReferenceLookup } from '../datasets/core/references';
import { ModelEntity } from './model.entity';

/** A row to insert: everything but the timestamp the database sets and the relations. */
export type NewModelRow = Omit<
  ModelEntity,
  'createdAt' | 'project' | 'baseModel' | 'dataset' | 'job'
>;

/** PostgreSQL's unique_violation: the (project, name) index refused a second row of that name. */
const UNIQUE_VIOLATION = '23505';

/** The model rows as ModelsService uses them (the unit spec fakes them in memory). */
export interface ModelRows extends ReferenceLookup<ModelEntity> {
  /** Newest first. */
  page(
    projectId: string,
    limit: number,
    offset: number,
  ): Promise<{ items: ModelEntity[]; total: number }>;
  /** A model the job registered (with `name`: the one of that name, for jobs that make several). */
  findByJob(projectId: string, jobId: string, name?: string): Promise<ModelEntity | null>;
  nameTaken(projectId: string, name: string): Promise<boolean>;
  /** Models derived from `baseModelId` by `method` (a prune job's family), oldest first. */
  derived(projectId: string, baseModelId: string, method: string): Promise<ModelEntity[]>;
  /** The inserted row, or null when the project already has a model of that name. */
  insert(row: NewModelRow): Promise<ModelEntity | null>;
}

/** The `models` table: every query of model rows, each limited to one project. */
@Injectable()
export class ModelsRepository implements ModelRows {
  constructor(private readonly db: DataSource) {}

  private get rows(): Repository<ModelEntity> {
    return this.db.getRepository(ModelEntity);
  }

  /** Newest first. */
  async page(
    projectId: string,
    limit: number,
    offset: number,
  ): Promise<{ items: ModelEntity[]; total: number }> {
    const [items, total] = await this.rows.findAndCount({
      where: { projectId },
      order: { createdAt: 'DESC' },
      take: limit,
      skip: offset,
    });
    return { items, total };
  }

  findById(projectId: string, id: string): Promise<ModelEntity | null> {
    return this.rows.findOneBy({ projectId, id });
  }

  findByName(projectId: string, name: string): Promise<ModelEntity | null> {
    return this.rows.findOneBy({ projectId, name });
  }

  findByNameIgnoringCase(projectId: string, name: string, limit: number): Promise<ModelEntity[]> {
    return this.rows
      .createQueryBuilder('r')
      .where('r.projectId = :projectId', { projectId })
      .andWhere('lower(r.name) = lower(:name)', { name })
      .orderBy('r.name')
      .limit(limit)
      .getMany();
  }

  /** A model the job registered (with `name`: the one of that name, for jobs that make several). */
  findByJob(projectId: string, jobId: string, name?: string): Promise<ModelEntity | null> {
    return this.rows.findOneBy(
      name === undefined ? { projectId, jobId } : { projectId, jobId, name },
    );
  }

  nameTaken(projectId: string, name: string): Promise<boolean> {
    return this.rows.existsBy({ projectId, name });
  }

  /** Models derived from `baseModelId` by `method` (a prune job's family), oldest first. */
  derived(projectId: string, baseModelId: string, method: string): Promise<ModelEntity[]> {
    return this.rows.find({
      where: { projectId, baseModelId, method },
      order: { createdAt: 'ASC' },
    });
  }

  /** The inserted row, or null when the project already has a model of that name. */
  async insert(row: NewModelRow): Promise<ModelEntity | null> {
    try {
      await this.rows.save(this.rows.create(row));
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return null;
      throw error;
    }
    return this.rows.findOneByOrFail({ id: row.id });
  }
}
