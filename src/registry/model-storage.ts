import { Injectable } from '@nestjs/common';
import type * as tf from '@tensorflow/tfjs';
import { Vocabulary } from '../ml/data';
import { loadModelFromBuffers, saveModelToBuffers } from '../ml/io/buffers';
import { ArtifactStore } from '../platform/artifacts/artifact-store';
import type { JobContext } from '../platform/jobs/job-handler';

/** Folder of the artifact store (under the project) for models that no job's artifacts hold. */
const MODELS_FOLDER = 'models';

/** Where a model's files are, relative to the artifact root (as the registry row keeps them). */
export interface StoredModelFiles {
  modelJsonPath: string;
  weightsPath: string;
  vocabularyPath: string | null;
}

/**
 * The files of registered models in the artifact store: model.json, weights.bin and, for text
 * models, vocabulary.json. A model a job trained keeps them as that job's artifacts (listed under
 * /v1/jobs/:id/artifacts); any other (import, init, the several models of a NAS export or a
 * pruning family) under `<project>/models/<id>/`.
 */
@Injectable()
export class ModelStorage {
  constructor(private readonly store: ArtifactStore) {}

  /** Stores the files as artifacts of the running job (fenced by its attempt). */
  async saveAsJobArtifacts(
    ctx: JobContext,
    model: tf.LayersModel,
    vocabulary?: Vocabulary,
  ): Promise<StoredModelFiles> {
    const buffers = await saveModelToBuffers(model);
    await ctx.artifact('model.json', buffers.modelJson, 'application/json');
    await ctx.artifact('weights.bin', buffers.weights);
    if (vocabulary) {
      await ctx.artifact('vocabulary.json', vocabularyJson(vocabulary), 'application/json');
    }
    const locate = (name: string): string => this.store.locate(ctx.projectId, ctx.jobId, name);
    return {
      modelJsonPath: locate('model.json'),
      weightsPath: locate('weights.bin'),
      vocabularyPath: vocabulary ? locate('vocabulary.json') : null,
    };
  }

  /** Stores the files under `<project>/models/<id>/`. */
  async save(
    projectId: string,
    id: string,
    model: tf.LayersModel,
    vocabulary?: Vocabulary,
  ): Promise<StoredModelFiles> {
    const buffers = await saveModelToBuffers(model);
    const write = (name: string, data: Buffer | string) =>
      this.store.write(projectId, MODELS_FOLDER, `${id}/${name}`, data);
    const json = await write('model.json', buffers.modelJson);
    const weights = await write('weights.bin', buffers.weights);
    const vocab = vocabulary ? await write('vocabulary.json', vocabularyJson(vocabulary)) : null;
    return {
      modelJsonPath: json.path,
      weightsPath: weights.path,
      vocabularyPath: vocab?.path ?? null,
    };
  }

  /** Removes what `save` stored for `id` (the row could not be written). */
  remove(projectId: string, id: string): Promise<void> {
    return this.store.remove(projectId, MODELS_FOLDER, id);
  }

  /** The model (the caller disposes it) and, for text models, its vocabulary. */
  async load(files: StoredModelFiles): Promise<{ model: tf.LayersModel; vocabulary?: Vocabulary }> {
    const [json, weights] = await Promise.all([
      this.store.read(files.modelJsonPath),
      this.store.read(files.weightsPath),
    ]);
    const model = await loadModelFromBuffers(json, weights);
    const vocabulary = (await this.vocabulary(files.vocabularyPath)) ?? undefined;
    return vocabulary ? { model, vocabulary } : { model };
  }

  async vocabulary(vocabularyPath: string | null): Promise<Vocabulary | null> {
    if (!vocabularyPath) return null;
    const { words } = JSON.parse((await this.store.read(vocabularyPath)).toString('utf8')) as {
      words: string[];
    };
    return new Vocabulary(words);
  }
}

function vocabularyJson(vocabulary: Vocabulary): string {
  return JSON.stringify({ words: vocabulary.words });
}
