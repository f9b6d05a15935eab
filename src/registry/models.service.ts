import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Injectable } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { DataSource } from 'typeorm';
import { Vocabulary } from '../ml/data';
import { loadModelFromBuffers, ModelBuffers, saveModelToBuffers } from '../ml/io/buffers';
import { buildZooModel, isZooModelName, ZOO_MODEL_NAMES } from '../ml/zoo/zoo';
import { ArtifactStore } from '../platform/artifacts/artifact-store';
import type { Principal } from '../platform/auth/projects.service';
import {
  ConflictError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors/domain-error';
import type { JobContext } from '../platform/jobs/job-handler';
import { InputContract, inputTensor, parseInstances } from './core/encode';
import { describeModel, Preprocessing } from './core/model-meta';
import { checkRegistryName } from '../datasets/core/names';
import { ModelEntity } from './model.entity';
import { ReferenceResolver } from './references';

/** Folder of the artifact store (under the project) for models that no job produced. */
const MODELS_FOLDER = 'models';
/** Imported model files (model.json + weights) may not exceed this in total. */
export const MODEL_UPLOAD_MAX_BYTES = 256 * 1024 * 1024;
/** Predict requests: at most this many instances. */
export const PREDICT_MAX_BATCH = 1024;
/** Models kept loaded in a process for predict (least recently used evicted and disposed). */
const CACHE_SIZE = 8;

export interface LoadedModel {
  entity: ModelEntity;
  model: tf.LayersModel;
  vocabulary?: Vocabulary;
}

export interface NewModel {
  name: string;
  architecture: string;
  inputKind: 'image' | 'tabular' | 'text';
  classNames: string[];
  featureNames?: string[] | null;
  preprocessing?: Preprocessing;
  vocabulary?: Vocabulary;
  baseModelId?: string | null;
  datasetId?: string | null;
  method: string;
  metrics?: Record<string, unknown>;
  evaluation?: Record<string, unknown> | null;
}

export interface Prediction {
  label: string;
  classIndex: number;
  probabilities: Record<string, number>;
}

export function contractOf(entity: ModelEntity): InputContract {
  return {
    inputKind: entity.inputKind,
    inputShape: entity.inputShape,
    featureNames: entity.featureNames,
    preprocessing: entity.preprocessing,
  };
}

/**
 * The model registry: rows with architecture facts and lineage, weights in the artifact store
 * (job artifacts for trained models, `<project>/models/<id>/` for imported ones).
 */
@Injectable()
export class ModelsService {
  private readonly cache = new Map<string, LoadedModel>();

  constructor(
    private readonly db: DataSource,
    private readonly store: ArtifactStore,
    private readonly references: ReferenceResolver,
  ) {}

  async list(principal: Principal, limit: number, offset: number) {
    const [items, total] = await this.db.getRepository(ModelEntity).findAndCount({
      where: { projectId: principal.projectId },
      order: { createdAt: 'DESC' },
      take: limit,
      skip: offset,
    });
    return { items, total };
  }

  /** A model of the project by id or name (ReferenceResolver). */
  get(projectId: string, ref: string): Promise<ModelEntity> {
    return this.references.model(projectId, ref);
  }

  async findByJob(projectId: string, jobId: string): Promise<ModelEntity | null> {
    return this.db.getRepository(ModelEntity).findOneBy({ projectId, jobId });
  }

  async assertNameFree(projectId: string, name: string): Promise<void> {
    if (await this.db.getRepository(ModelEntity).existsBy({ projectId, name })) {
      throw new ConflictError(`a model named ${name} already exists in this project`);
    }
  }

  /** A model of the project by id only (a resolved reference, e.g. in a job spec). */
  getById(projectId: string, id: string): Promise<ModelEntity> {
    return this.references.modelById(projectId, id);
  }

  /**
   * Loads a model of the project (by id: references are resolved before a job is queued) with
   * its vocabulary; the caller owns (and disposes) it.
   */
  async load(projectId: string, id: string): Promise<LoadedModel> {
    const entity = await this.getById(projectId, id);
    const [json, weights] = await Promise.all([
      this.store.read(entity.modelJsonPath),
      this.store.read(entity.weightsPath),
    ]);
    const model = await loadModelFromBuffers(json, weights);
    let vocabulary: Vocabulary | undefined;
    if (entity.vocabularyPath) {
      const words = JSON.parse((await this.store.read(entity.vocabularyPath)).toString('utf8')) as {
        words: string[];
      };
      vocabulary = new Vocabulary(words.words);
    }
    return { entity, model, vocabulary };
  }

  /** Class probabilities for raw instances, validated against the model's input contract. */
  async predict(
    principal: Principal,
    id: string,
    body: { images?: unknown[]; rows?: unknown[]; texts?: unknown[] },
  ): Promise<{ model: string; predictions: Prediction[] }> {
    const loaded = await this.cached(principal.projectId, id);
    const contract = contractOf(loaded.entity);
    const instances = parseInstances(contract, body);
    if (instances.count > PREDICT_MAX_BATCH) {
      throw new UnprocessableError(`at most ${PREDICT_MAX_BATCH} instances per request`, [
        {
          field:
            contract.inputKind === 'image'
              ? 'images'
              : contract.inputKind === 'tabular'
                ? 'rows'
                : 'texts',
          message: `${instances.count} > ${PREDICT_MAX_BATCH}`,
        },
      ]);
    }
    const probs = predictProbabilities(loaded, instances);
    const names = loaded.entity.classNames;
    return {
      model: loaded.entity.id,
      predictions: probs.map((p) => {
        let best = 0;
        for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
        // fromEntries: a class called __proto__ stays an own key (class names are user data).
        const probabilities = Object.fromEntries(names.map((n, k) => [n, p[k]]));
        return { label: names[best], classIndex: best, probabilities };
      }),
    };
  }

  /** Imports a TF.js LayersModel (model.json + the weight files its manifest names). */
  async importModel(
    principal: Principal,
    files: { originalname: string; fieldname: string; buffer: Buffer }[],
    fields: { name?: unknown; inputKind?: unknown; classNames?: unknown; featureNames?: unknown },
  ): Promise<ModelEntity> {
    const name = checkRegistryName(fields.name);
    const modelJson = files.find(
      (f) => f.originalname === 'model.json' || f.fieldname === 'model.json',
    );
    if (!modelJson) {
      throw ValidationError.field(
        'model.json',
        'upload model.json (and the weight files it names)',
      );
    }
    await this.assertNameFree(principal.projectId, name);
    const weightFiles: Record<string, Buffer> = {};
    for (const f of files) if (f !== modelJson) weightFiles[f.originalname] = f.buffer;
    const model = await loadModelFromBuffers(modelJson.buffer, weightFiles);
    try {
      const facts = describeModel(model);
      const inputKind = readInputKind(fields.inputKind, facts.inputShape);
      const classNames =
        readNames(fields.classNames, 'classNames', facts.numClasses) ??
        Array.from({ length: facts.numClasses }, (_, k) => `class_${k}`);
      const featureNames =
        inputKind === 'tabular'
          ? (readNames(fields.featureNames, 'featureNames', facts.inputShape[0]) ??
            Array.from({ length: facts.inputShape[0] }, (_, k) => `feature_${k}`))
          : null;
      if (inputKind === 'text') {
        throw new UnprocessableError(
          'importing text models needs their vocabulary; fine-tune or pretrain one instead',
          [{ field: 'inputKind', message: 'text import is not supported' }],
        );
      }
      return await this.registerStandalone(principal.projectId, model, {
        name,
        architecture: 'imported',
        inputKind,
        classNames,
        featureNames,
        method: 'import',
      });
    } finally {
      model.dispose();
    }
  }

  /** Registers a freshly initialised zoo architecture (seeded weights) as a base model. */
  async initModel(
    principal: Principal,
    req: {
      name: string;
      architecture: string;
      inputShape: number[];
      classNames: string[];
      featureNames?: string[];
      seed?: number;
      width?: number;
      hidden?: number[];
    },
  ): Promise<ModelEntity> {
    const name = checkRegistryName(req.name);
    if (!isZooModelName(req.architecture)) {
      throw ValidationError.field(
        'architecture',
        `must be one of ${ZOO_MODEL_NAMES.join(', ')}, got ${req.architecture}`,
      );
    }
    if (req.architecture === 'text-classifier') {
      throw ValidationError.field(
        'architecture',
        'text models need a vocabulary: use POST /v1/pretrain',
      );
    }
    await this.assertNameFree(principal.projectId, name);
    const model = buildZooModel(req.architecture, {
      inputShape: req.inputShape,
      numClasses: req.classNames.length,
      seed: req.seed ?? 0,
      width: req.width,
      hidden: req.hidden,
    });
    try {
      const inputKind = req.inputShape.length === 3 ? 'image' : 'tabular';
      if (
        inputKind === 'tabular' &&
        req.featureNames &&
        req.featureNames.length !== req.inputShape[0]
      ) {
        throw ValidationError.field(
          'featureNames',
          `needs ${req.inputShape[0]} names, got ${req.featureNames.length}`,
        );
      }
      return await this.registerStandalone(principal.projectId, model, {
        name,
        architecture: req.architecture,
        inputKind,
        classNames: req.classNames,
        featureNames:
          inputKind === 'tabular'
            ? (req.featureNames ??
              Array.from({ length: req.inputShape[0] }, (_, k) => `feature_${k}`))
            : null,
        method: 'init',
      });
    } finally {
      model.dispose();
    }
  }

  /**
   * Registers a model a job trained: its files become artifacts of the job (listed under
   * /v1/jobs/:id/artifacts), then the row. A re-run of the same job returns the row it made.
   */
  async registerFromJob(
    ctx: JobContext,
    model: tf.LayersModel,
    meta: NewModel,
  ): Promise<ModelEntity> {
    const existing = await this.findByJob(ctx.projectId, ctx.jobId);
    if (existing) return existing;
    const buffers = await saveModelToBuffers(model);
    await ctx.artifact('model.json', buffers.modelJson, 'application/json');
    await ctx.artifact('weights.bin', buffers.weights);
    const rel = (n: string): string => path.join(ctx.projectId, ctx.jobId, n);
    let vocabularyPath: string | null = null;
    if (meta.vocabulary) {
      await ctx.artifact(
        'vocabulary.json',
        JSON.stringify({ words: meta.vocabulary.words }),
        'application/json',
      );
      vocabularyPath = rel('vocabulary.json');
    }
    return this.insertRow(ctx.projectId, crypto.randomUUID(), model, meta, {
      modelJsonPath: rel('model.json'),
      weightsPath: rel('weights.bin'),
      vocabularyPath,
      jobId: ctx.jobId,
    });
  }

  /**
   * Registers one of several models a job produces (NAS export, a pruned family): files under
   * `<project>/models/<id>/`, the row linked to the job. A re-run of the job returns the row it
   * made under the same name.
   */
  async registerJobModel(
    projectId: string,
    jobId: string,
    model: tf.LayersModel,
    meta: NewModel,
  ): Promise<ModelEntity> {
    const existing = await this.db
      .getRepository(ModelEntity)
      .findOneBy({ projectId, jobId, name: meta.name });
    if (existing) return existing;
    return this.registerStandalone(projectId, model, meta, jobId);
  }

  /** Text models: the vocabulary a model was trained with (null for other kinds). */
  async vocabularyOf(entity: ModelEntity): Promise<Vocabulary | null> {
    if (!entity.vocabularyPath) return null;
    const words = JSON.parse((await this.store.read(entity.vocabularyPath)).toString('utf8')) as {
      words: string[];
    };
    return new Vocabulary(words.words);
  }

  private async registerStandalone(
    projectId: string,
    model: tf.LayersModel,
    meta: NewModel,
    jobId: string | null = null,
  ): Promise<ModelEntity> {
    const id = crypto.randomUUID();
    const buffers: ModelBuffers = await saveModelToBuffers(model);
    const json = await this.store.write(
      projectId,
      MODELS_FOLDER,
      `${id}/model.json`,
      buffers.modelJson,
    );
    const weights = await this.store.write(
      projectId,
      MODELS_FOLDER,
      `${id}/weights.bin`,
      buffers.weights,
    );
    const vocabulary = meta.vocabulary
      ? await this.store.write(
          projectId,
          MODELS_FOLDER,
          `${id}/vocabulary.json`,
          JSON.stringify({ words: meta.vocabulary.words }),
        )
      : null;
    try {
      return await this.insertRow(projectId, id, model, meta, {
        modelJsonPath: json.path,
        weightsPath: weights.path,
        vocabularyPath: vocabulary?.path ?? null,
        jobId,
      });
    } catch (error) {
      await fs.promises.rm(path.dirname(this.store.resolve(json.path)), {
        recursive: true,
        force: true,
      });
      throw error;
    }
  }

  private async insertRow(
    projectId: string,
    id: string,
    model: tf.LayersModel,
    meta: NewModel,
    files: {
      modelJsonPath: string;
      weightsPath: string;
      vocabularyPath: string | null;
      jobId: string | null;
    },
  ): Promise<ModelEntity> {
    const facts = describeModel(model);
    if (facts.numClasses !== meta.classNames.length) {
      throw new UnprocessableError(
        `the model has ${facts.numClasses} outputs but ${meta.classNames.length} class names were given`,
        [{ field: 'classNames', message: `needs ${facts.numClasses} names` }],
      );
    }
    const repo = this.db.getRepository(ModelEntity);
    try {
      await repo.save(
        repo.create({
          id,
          projectId,
          name: meta.name,
          architecture: meta.architecture,
          summary: facts.summary,
          params: String(facts.params),
          flops: facts.flops,
          inputKind: meta.inputKind,
          inputShape: facts.inputShape,
          classNames: meta.classNames,
          featureNames: meta.featureNames ?? null,
          preprocessing: meta.preprocessing ?? {},
          baseModelId: meta.baseModelId ?? null,
          datasetId: meta.datasetId ?? null,
          method: meta.method,
          metrics: meta.metrics ?? {},
          evaluation: meta.evaluation ?? null,
          ...files,
        }),
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new ConflictError(`a model named ${meta.name} already exists in this project`);
      }
      throw error;
    }
    return repo.findOneByOrFail({ id });
  }

  private async cached(projectId: string, ref: string): Promise<LoadedModel> {
    const { id } = await this.get(projectId, ref);
    const hit = this.cache.get(id);
    if (hit && hit.entity.projectId === projectId) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit;
    }
    const loaded = await this.load(projectId, id);
    this.cache.set(id, loaded);
    while (this.cache.size > CACHE_SIZE) {
      const [oldest, value] = this.cache.entries().next().value as [string, LoadedModel];
      this.cache.delete(oldest);
      value.model.dispose();
    }
    return loaded;
  }
}

/** Softmax outputs of a loaded model for validated instances, computed in batches. */
export function predictProbabilities(
  loaded: { entity: ModelEntity; model: tf.LayersModel; vocabulary?: Vocabulary },
  instances: {
    images?: readonly Float32Array[];
    rows?: readonly (readonly number[])[];
    texts?: readonly string[];
  },
): number[][] {
  return tf.tidy(() => {
    const x = inputTensor(contractOf(loaded.entity), instances, loaded.vocabulary);
    const y = loaded.model.predict(x) as tf.Tensor;
    return y.arraySync() as number[][];
  });
}

function readInputKind(value: unknown, inputShape: number[]): 'image' | 'tabular' | 'text' {
  if (value === undefined || value === '') {
    if (inputShape.length === 3) return 'image';
    if (inputShape.length === 1) return 'tabular';
    throw ValidationError.field('inputKind', `cannot infer it from input shape [${inputShape}]`);
  }
  if (value !== 'image' && value !== 'tabular' && value !== 'text') {
    throw ValidationError.field(
      'inputKind',
      `must be image, tabular or text, got ${JSON.stringify(value)}`,
    );
  }
  if (value === 'image' && inputShape.length !== 3) {
    throw ValidationError.field(
      'inputKind',
      `image models take [h, w, c] inputs, this one [${inputShape}]`,
    );
  }
  return value;
}

/** A JSON list (or comma-separated form field) of `count` distinct names. */
function readNames(value: unknown, field: string, count: number): string[] | null {
  if (value === undefined || value === '') return null;
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = value.trim().startsWith('[')
        ? JSON.parse(value)
        : value.split(',').map((s) => s.trim());
    } catch {
      throw ValidationError.field(field, 'must be a JSON list or comma-separated names');
    }
  }
  if (
    !Array.isArray(list) ||
    !list.every((n) => typeof n === 'string' && n !== '') ||
    new Set(list).size !== list.length
  ) {
    throw ValidationError.field(field, 'must be distinct non-empty names');
  }
  if (list.length !== count) {
    throw ValidationError.field(field, `the model needs ${count} names, got ${list.length}`);
  }
  return list as string[];
}
