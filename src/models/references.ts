import { Injectable } from '@nestjs/common';
import { DataSource, EntityTarget, FindOptionsWhere } from 'typeorm';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors/domain-error';
import { DatasetEntity } from './dataset.entity';
import { ModelEntity } from './model.entity';

/** Any UUID spelling (the nil UUID included): such a reference may be an id. */
const UUID_SHAPED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_REFERENCE_LENGTH = 200;

/**
 * The one rule for naming a model or data set, in a URL or in a job spec: its id, or its name
 * (unique in the project). Unknown: 404 naming the reference. A UUID-shaped name that is also
 * another row's id refers to two rows: 409 naming both ids (each is still reachable, one by its
 * name, the other by its id). Every route, job kind and the CLI go through here.
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
    const byName = { projectId, name: ref } as FindOptionsWhere<T>;
    const byId = { projectId, id: ref.toLowerCase() } as FindOptionsWhere<T>;
    const rows = await this.db.getRepository(entity).find({
      where: UUID_SHAPED.test(ref) ? [byId, byName] : [byName],
      take: 3,
    });
    if (rows.length === 0) throw new NotFoundError(what, ref);
    if (rows.length > 1) {
      const candidates = rows.map((r) => `${r.id} (named ${r.name})`).join(', ');
      throw new ConflictError(
        `${what} reference ${ref} is ambiguous: it is the id of one ${what} and the name of another; candidates ${candidates}. Use the other ${what}'s id, or the first one's name`,
      );
    }
    return rows[0];
  }
}
