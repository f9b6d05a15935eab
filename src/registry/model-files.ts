import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ArtifactStore } from '../platform/artifacts/artifact-store';
import { NotFoundError } from '../platform/errors/domain-error';
import { modelLineage } from './core/lineage';
import { ModelEntity } from './model.entity';
import { ModelsService } from './models.service';

export interface ModelFile {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
  /** Download route of the file. */
  url: string;
}

/** A file to send: stored in the artifact store (`file`) or generated from the row (`data`). */
export type ModelFileContent =
  | { name: string; contentType: string; size: number; file: string }
  | { name: string; contentType: string; size: number; data: Buffer };

/** The card beside the weights: what a model needs to be used outside the service. */
export const MODEL_CARD = 'model-card.json';

/**
 * The files of any registered model, whatever produced it (a training job's artifacts, an
 * import, a NAS export or a pruning family under `<project>/models/<id>/`): model.json,
 * weights.bin, the text vocabulary, and a generated card with the input contract (class and
 * feature names, normalisation), lineage and test evaluation. Only these names are served, so
 * a request never names a path.
 */
@Injectable()
export class ModelFilesService {
  constructor(
    private readonly models: ModelsService,
    private readonly store: ArtifactStore,
  ) {}

  async list(projectId: string, ref: string): Promise<{ model: string; files: ModelFile[] }> {
    const entity = await this.models.get(projectId, ref);
    const files: ModelFile[] = [];
    for (const name of fileNames(entity)) {
      const content = await this.content(entity, name);
      files.push({
        name,
        size: content.size,
        sha256: await this.sha256(entity, content),
        contentType: content.contentType,
        url: `/v1/models/${entity.id}/files/${name}`,
      });
    }
    return { model: entity.id, files };
  }

  async file(projectId: string, ref: string, name: string): Promise<ModelFileContent> {
    const entity = await this.models.get(projectId, ref);
    if (!fileNames(entity).includes(name)) {
      throw new NotFoundError('model file', `${entity.name}/${name}`);
    }
    return this.content(entity, name);
  }

  private async content(entity: ModelEntity, name: string): Promise<ModelFileContent> {
    if (name === MODEL_CARD) {
      const data = Buffer.from(JSON.stringify(modelCard(entity), null, 2) + '\n');
      return { name, contentType: 'application/json', size: data.length, data };
    }
    const stored = storedPath(entity, name);
    const file = this.store.resolve(stored);
    const size = await this.store.size(stored);
    const contentType = name.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    return { name, contentType, size, file };
  }

  private async sha256(entity: ModelEntity, content: ModelFileContent): Promise<string> {
    if ('data' in content) return createHash('sha256').update(content.data).digest('hex');
    return this.store.sha256(storedPath(entity, content.name));
  }
}

function storedPath(entity: ModelEntity, name: string): string {
  return name === 'model.json'
    ? entity.modelJsonPath
    : name === 'weights.bin'
      ? entity.weightsPath
      : (entity.vocabularyPath as string);
}

function fileNames(entity: ModelEntity): string[] {
  return [
    'model.json',
    'weights.bin',
    ...(entity.vocabularyPath ? ['vocabulary.json'] : []),
    MODEL_CARD,
  ];
}

function modelCard(e: ModelEntity): Record<string, unknown> {
  return {
    id: e.id,
    name: e.name,
    architecture: e.architecture,
    inputKind: e.inputKind,
    inputShape: e.inputShape,
    classNames: e.classNames,
    featureNames: e.featureNames,
    preprocessing: e.preprocessing,
    params: Number(e.params),
    flops: e.flops,
    lineage: modelLineage(e),
    evaluation: e.evaluation,
    createdAt: e.createdAt,
  };
}
