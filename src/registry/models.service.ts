import * as crypto from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type * as tf from '@tensorflow/tfjs';
import { checkRegistryName } from '../datasets/core/names';
import { resolveId, resolveReference } from '../datasets/core/references';
import type { Vocabulary } from '../ml/data';
import { loadModelFromBuffers } from '../ml/io/buffers';
import { buildZooModel, isZooModelName, ZOO_MODEL_NAMES } from '../ml/zoo/zoo';
import type { Principal } from '../platform/auth/projects.service';
import {
  ConflictError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors/domain-error';
import type { JobContext } from '../platform/jobs/job-handler';
import { describeModel } from './core/model-meta';
import { defaultNames, readInputKind, readNames } from './core/model-fields';
import { ModelEntity } from './model.entity';
import type { NewModel } from './model-registry.port';
import { ModelStorage, type StoredModelFiles } from './model-storage';
import { ModelRows, ModelsRepository } from './models.repository';

/** Imported model files (model.json + weights) may not exceed this in total. */
export const MODEL_UPLOAD_MAX_BYTES = 256 * 1024 * 1024;

export interface LoadedModel {
  entity: ModelEntity;
  model: tf.LayersModel;
  vocabulary?: Vocabulary;
}

/** `POST /v1/models` as JSON (InitModelDto, already validated). */
export interface InitModelRequest {
  name: string;
  architecture: string;
  inputShape: number[];
  classNames: string[];
  featureNames?: string[];
  seed?: number;
  width?: number;
  hidden?: number[];
}

/**
 * The model registry: rows with architecture facts and lineage (ModelsRepository), files in the
 * artifact store (ModelStorage). Models come from training jobs, imports and zoo initialisation.
 */
@Injectable()
export class ModelsService {
  constructor(
    @Inject(ModelsRepository) private readonly repo: ModelRows,
    private readonly storage: ModelStorage,
  ) {}

  list(principal: Principal, limit: number, offset: number) {
    return this.repo.page(principal.projectId, limit, offset);
  }

  /** A model of the project by id or name (datasets/core/references.ts). */
  get(projectId: string, ref: string): Promise<ModelEntity> {
    return resolveReference(this.repo, 'model', projectId, ref);
  }

  /** A model of the project by id only (a resolved reference, e.g. in a job spec). */
  getById(projectId: string, id: string): Promise<ModelEntity> {
    return resolveId(this.repo, 'model', projectId, id);
  }

  /** The pruned models a `prune` job registered from `id` (smaller variants for devices). */
  prunedVariants(projectId: string, id: string): Promise<ModelEntity[]> {
    return this.repo.derived(projectId, id, 'prune');
  }

  findByJob(projectId: string, jobId: string): Promise<ModelEntity | null> {
    return this.repo.findByJob(projectId, jobId);
  }

  async assertNameFree(projectId: string, name: string): Promise<void> {
    if (await this.repo.nameTaken(projectId, name)) throw nameTaken(name);
  }

  /**
   * Loads a model of the project (by id: references are resolved before a job is queued) with
   * its vocabulary; the caller owns (and disposes) it.
   */
  async load(projectId: string, id: string): Promise<LoadedModel> {
    const entity = await this.getById(projectId, id);
    return { entity, ...(await this.storage.load(entity)) };
  }

  /** Text models: the vocabulary a model was trained with (null for other kinds). */
  vocabularyOf(entity: ModelEntity): Promise<Vocabulary | null> {
    return this.storage.vocabulary(entity.vocabularyPath);
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
        defaultNames('class', facts.numClasses);
      const featureNames =
        inputKind === 'tabular'
          ? (readNames(fields.featureNames, 'featureNames', facts.inputShape[0]) ??
            defaultNames('feature', facts.inputShape[0]))
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
  async initModel(principal: Principal, req: InitModelRequest): Promise<ModelEntity> {
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
            ? (req.featureNames ?? defaultNames('feature', req.inputShape[0]))
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
    const existing = await this.repo.findByJob(ctx.projectId, ctx.jobId);
    if (existing) return existing;
    const files = await this.storage.saveAsJobArtifacts(ctx, model, meta.vocabulary);
    return this.insert(ctx.projectId, crypto.randomUUID(), model, meta, files, ctx.jobId);
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
    const existing = await this.repo.findByJob(projectId, jobId, meta.name);
    if (existing) return existing;
    return this.registerStandalone(projectId, model, meta, jobId);
  }

  private async registerStandalone(
    projectId: string,
    model: tf.LayersModel,
    meta: NewModel,
    jobId: string | null = null,
  ): Promise<ModelEntity> {
    const id = crypto.randomUUID();
    const files = await this.storage.save(projectId, id, model, meta.vocabulary);
    try {
      return await this.insert(projectId, id, model, meta, files, jobId);
    } catch (error) {
      await this.storage.remove(projectId, id);
      throw error;
    }
  }

  private async insert(
    projectId: string,
    id: string,
    model: tf.LayersModel,
    meta: NewModel,
    files: StoredModelFiles,
    jobId: string | null,
  ): Promise<ModelEntity> {
    const facts = describeModel(model);
    if (facts.numClasses !== meta.classNames.length) {
      throw new UnprocessableError(
        `the model has ${facts.numClasses} outputs but ${meta.classNames.length} class names were given`,
        [{ field: 'classNames', message: `needs ${facts.numClasses} names` }],
      );
    }
    const row = await this.repo.insert({
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
      jobId,
    });
    if (row === null) throw nameTaken(meta.name);
    return row;
  }
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(`a model named ${name} already exists in this project`);
}
