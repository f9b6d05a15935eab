import { Injectable } from '@nestjs/common';
import { DataSource, EntityTarget, FindOptionsWhere } from 'typeorm';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors/domain-error';
import { DatasetEntity } from '../datasets/dataset.entity';
import { ModelEntity } from './model.entity';

/** Any UUID spelling (the nil UUID included): such a reference may be an id. */
const UUID_SHAPED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_REFERENCE_LENGTH = 200;

/**
 * The one rule for naming a model or data set, in a URL or in a job spec: its id, or its name
 * (unique in the project). An id is never ambiguous: a UUID-shaped reference is looked up as an
 * id first (then as a name). A name matches exactly, else case-insensitively when exactly one
 * row matches that way; several (`Iris` and `iris` for `IRIS`) are a 409 naming the candidate
 * ids. Unknown: a 404 naming the reference. Every route, job kind and the CLI go through here.
 */
@Injectable()
export class ReferenceResolver {
  constructor(private readonly db: DataSource) {}

  model(projectId: string, ref: string): Promise<ModelEntity> {
    return this.find(ModelEntity, 'model', projectId, ref);
  }

  dataset(projectId: string, ref: string): Promise<DatasetEntity> {
    return this.find(DatasetEntity, 'dataset', projectId, ref);
  }

  /**
   * By id only, for what a job spec holds once resolved: a worker never re-interprets an id as
   * a name (a model named like another one's id must not make a queued job ambiguous).
   */
  async modelById(projectId: string, id: string): Promise<ModelEntity> {
    return this.findById(ModelEntity, 'model', projectId, id);
  }

  async datasetById(projectId: string, id: string): Promise<DatasetEntity> {
    return this.findById(DatasetEntity, 'dataset', projectId, id);
  }

  private async findById<T extends { id: string; projectId: string }>(
    entity: EntityTarget<T>,
    what: 'model' | 'dataset',
    projectId: string,
    id: string,
  ): Promise<T> {
    const row = UUID_SHAPED.test(id)
      ? await this.db
          .getRepository(entity)
          .findOneBy({ projectId, id: id.toLowerCase() } as FindOptionsWhere<T>)
      : null;
    if (!row) throw new NotFoundError(what, id);
    return row;
  }

  private async find<T extends { id: string; name: string; projectId: string }>(
    entity: EntityTarget<T>,
    what: 'model' | 'dataset',
    projectId: string,
    ref: string,
  ): Promise<T> {
    if (typeof ref !== 'string' || ref.length === 0 || ref.length > MAX_REFERENCE_LENGTH) {
      throw ValidationError.field(
        'id',
        `a ${what} is referenced by its id or its name (1-${MAX_REFERENCE_LENGTH} characters)`,
      );
    }
    const repo = this.db.getRepository(entity);
    if (UUID_SHAPED.test(ref)) {
      const byId = await repo.findOneBy({
        projectId,
        id: ref.toLowerCase(),
      } as FindOptionsWhere<T>);
      if (byId) return byId;
    }
    const exact = await repo.findOneBy({ projectId, name: ref } as FindOptionsWhere<T>);
    if (exact) return exact;
    const folded = await repo
      .createQueryBuilder('r')
      .where('r.projectId = :projectId', { projectId })
      .andWhere('lower(r.name) = lower(:ref)', { ref })
      .orderBy('r.name')
      .limit(10)
      .getMany();
    if (folded.length === 1) return folded[0];
    if (folded.length === 0) throw new NotFoundError(what, ref);
    throw new ConflictError(
      `${what} reference ${ref} is ambiguous: it matches ${folded.length} names differing only in case; ` +
        `candidates ${folded.map((r) => `${r.id} (${r.name})`).join(', ')}. Use the exact name or the id`,
    );
  }
}
