import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { ReferenceLookup } from './core/references';
import { DatasetEntity } from './dataset.entity';

/** A row to insert: everything but the timestamp the database sets. */
export type NewDatasetRow = Omit<DatasetEntity, 'createdAt' | 'project'>;

/** PostgreSQL's unique_violation: the (project, name) index refused a second row of that name. */
const UNIQUE_VIOLATION = '23505';

/** The data set rows as DatasetsService uses them (the unit spec fakes them in memory). */
export interface DatasetRows extends ReferenceLookup<DatasetEntity> {
  /** Newest first. */
  page(
    projectId: string,
    limit: number,
    offset: number,
  ): Promise<{ items: DatasetEntity[]; total: number }>;
  nameTaken(projectId: string, name: string): Promise<boolean>;
  /** The inserted row, or null when the project already has a data set of that name. */
  insert(row: NewDatasetRow): Promise<DatasetEntity | null>;
  /** All rows in one transaction, or none (null) when a name is taken. */
  insertAll(rows: readonly NewDatasetRow[]): Promise<DatasetEntity[] | null>;
}

/** The `datasets` table: every query of data set rows, each limited to one project. */
@Injectable()
export class DatasetsRepository implements DatasetRows {
  constructor(private readonly db: DataSource) {}

  private get rows(): Repository<DatasetEntity> {
    return this.db.getRepository(DatasetEntity);
  }

  /** Newest first. */
  async page(
    projectId: string,
    limit: number,
    offset: number,
  ): Promise<{ items: DatasetEntity[]; total: number }> {
    const [items, total] = await this.rows.findAndCount({
      where: { projectId },
      order: { createdAt: 'DESC' },
      take: limit,
      skip: offset,
    });
    return { items, total };
  }

  findById(projectId: string, id: string): Promise<DatasetEntity | null> {
    return this.rows.findOneBy({ projectId, id });
  }

  findByName(projectId: string, name: string): Promise<DatasetEntity | null> {
    return this.rows.findOneBy({ projectId, name });
  }

  findByNameIgnoringCase(projectId: string, name: string, limit: number): Promise<DatasetEntity[]> {
    return this.rows
      .createQueryBuilder('r')
      .where('r.projectId = :projectId', { projectId })
      .andWhere('lower(r.name) = lower(:name)', { name })
      .orderBy('r.name')
      .limit(limit)
      .getMany();
  }

  nameTaken(projectId: string, name: string): Promise<boolean> {
    return this.rows.existsBy({ projectId, name });
  }

  /** The inserted row, or null when the project already has a data set of that name. */
  async insert(row: NewDatasetRow): Promise<DatasetEntity | null> {
    try {
      // An insert, not save(): save() deep-merges jsonb values key by key and drops a class
      // named __proto__ from countsPerClass (class names are user data).
      await this.rows
        .createQueryBuilder()
        .insert()
        .values(row as QueryDeepPartialEntity<DatasetEntity>)
        .execute();
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return null;
      throw error;
    }
    return this.rows.findOneByOrFail({ id: row.id });
  }

  async insertAll(rows: readonly NewDatasetRow[]): Promise<DatasetEntity[] | null> {
    try {
      await this.db.transaction((m) =>
        m
          .createQueryBuilder()
          .insert()
          .into(DatasetEntity)
          .values(rows.map((r) => r as QueryDeepPartialEntity<DatasetEntity>))
          .execute(),
      );
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return null;
      throw error;
    }
    return Promise.all(rows.map((r) => this.rows.findOneByOrFail({ id: r.id })));
  }
}
