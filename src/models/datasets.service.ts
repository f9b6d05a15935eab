import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import {
  Dataset,
  fewShot,
  loadPackagedDataset,
  remapLabels,
  selectClasses,
  stratifiedSplit,
} from '../ml/data';
import { ArtifactStore } from '../platform/artifacts/artifact-store';
import type { Principal } from '../platform/auth/projects.service';
import { APP_CONFIG, type AppConfig } from '../platform/config/app-config';
import {
  ConflictError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../platform/errors/domain-error';
import { decodeDataset, encodeDataset, joinSplits, StoredDataset } from './core/dataset-codec';
import {
  checkDatasetName,
  DEFAULT_SPLIT,
  DEFAULT_VALIDATION_FRACTION,
  parseIntField,
  parseResize,
  parseSplit,
  remapPlan,
} from './core/dataset-options';
import { DatasetEntity } from './dataset.entity';
import { type ExampleQuery, type ExampleRef, selectExamples } from './core/dataset-examples';
import type { ParsedUpload, UploadKind } from './upload-parse';
import { UploadParserPool } from './upload-parser-pool';
import { examplePng } from './example-png';
import { ReferenceResolver } from './references';

/** Uploads above this size are refused with 413 before parsing (multer limit). */
export const DATASET_UPLOAD_MAX_BYTES = 256 * 1024 * 1024;
/** Folder of the artifact store (under the project) holding data set files. */
const DATASETS_FOLDER = 'datasets';

export interface UploadedFile {
  originalname: string;
  buffer: Buffer;
}

export interface PackagedRequest {
  packaged: string;
  name?: string;
  classes?: (string | number)[];
  remap?: Record<string, string>;
  perClass?: number;
  split?: { train: number; validation: number; test: number };
  seed?: number;
}

function kindOf(fileName: string, given: unknown): UploadKind {
  if (given !== undefined && given !== '') {
    if (given === 'image' || given === 'tabular' || given === 'text') return given;
    throw ValidationError.field(
      'kind',
      `must be image, tabular or text, got ${JSON.stringify(given)}`,
    );
  }
  if (/\.zip$/i.test(fileName)) return 'image';
  if (/\.csv$/i.test(fileName)) return 'tabular';
  if (/\.(jsonl|ndjson)$/i.test(fileName)) return 'text';
  throw ValidationError.field(
    'kind',
    `cannot tell the kind of ${JSON.stringify(fileName)}; name it .zip, .csv or .jsonl or pass kind`,
  );
}

const UPLOAD_FIELDS = ['name', 'kind', 'labelColumn', 'resize', 'split', 'seed', 'channels'];

/**
 * Data set registry: parses uploads and packaged sets with src/ml/data, splits them
 * (stratified, seeded), stores the examples as one file and then the row. A failure anywhere
 * leaves neither: the file is removed when the row cannot be written.
 */
@Injectable()
export class DatasetsService {
  constructor(
    private readonly db: DataSource,
    private readonly store: ArtifactStore,
    private readonly parser: UploadParserPool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly references: ReferenceResolver,
  ) {}

  async createFromUpload(
    principal: Principal,
    file: UploadedFile | undefined,
    fields: Record<string, unknown>,
  ): Promise<DatasetEntity> {
    const unknown = Object.keys(fields).filter((k) => !UPLOAD_FIELDS.includes(k));
    if (unknown.length > 0) {
      throw ValidationError.field(
        unknown[0],
        `unknown form field; allowed: file, ${UPLOAD_FIELDS.join(', ')}`,
      );
    }
    if (file === undefined)
      throw ValidationError.field('file', 'a data file is required (multipart field "file")');
    const name = checkDatasetName(fields.name);
    await this.assertNameFree(principal.projectId, name);
    const kind = kindOf(file.originalname, fields.kind);
    const seed = fields.seed === undefined ? 0 : parseIntField(fields.seed, 'seed', 0, 0xffffffff);
    const split = fields.split === undefined ? DEFAULT_SPLIT : parseSplit(fields.split);
    const fileName = file.originalname.replace(/[^\w.-]/g, '_').slice(0, 100) || 'upload';
    const options: Record<string, unknown> = { file: fileName, split, seed };
    let resize: ReturnType<typeof parseResize> | undefined;
    let channels: 1 | 3 | 'auto' = 'auto';
    let labelColumn: string | undefined;
    if (kind === 'image') {
      if (
        !/\.zip$/i.test(file.originalname) &&
        file.buffer.subarray(0, 2).toString('latin1') !== 'PK'
      ) {
        throw new UnprocessableError(
          `${fileName}: image data sets are zip archives of class folders`,
          [{ field: fileName, message: 'not a zip archive' }],
        );
      }
      resize = fields.resize === undefined ? undefined : parseResize(fields.resize);
      const channelCount =
        fields.channels === undefined ? 0 : parseIntField(fields.channels, 'channels', 1, 3);
      if (channelCount === 2) throw ValidationError.field('channels', 'must be 1 or 3');
      channels = channelCount === 0 ? 'auto' : (channelCount as 1 | 3);
      if (resize) options.resize = resize;
    } else if (kind === 'tabular') {
      labelColumn = fields.labelColumn === undefined ? undefined : String(fields.labelColumn);
      if (labelColumn) options.labelColumn = labelColumn;
    }
    // Decoding and splitting happen in an upload thread: the event loop stays free meanwhile.
    const parsed = await this.parser.parse({
      kind,
      fileName,
      data: file.buffer,
      split,
      seed,
      resize,
      channels,
      labelColumn,
      maxTotalPixels: this.config.datasetMaxPixels,
    });
    return this.persist(principal, name, 'upload', options, parsed);
  }

  async createPackaged(principal: Principal, req: PackagedRequest): Promise<DatasetEntity> {
    const name = checkDatasetName(req.name ?? req.packaged);
    await this.assertNameFree(principal.projectId, name);
    const seed = req.seed ?? 0;
    const packaged = await loadPackagedDataset(req.packaged);
    const shape = (ds: Dataset): Dataset => {
      let out = ds;
      if (req.classes !== undefined) out = selectClasses(out, req.classes);
      if (req.remap !== undefined) {
        const plan = remapPlan(out.classNames, req.remap);
        out = remapLabels(out, plan.mapping, plan.classNames);
      }
      return out;
    };
    let train: Dataset;
    let validation: Dataset;
    let test: Dataset;
    let split = req.split;
    if (packaged.test !== undefined && split === undefined) {
      // Keep the official test split; carve validation from the official training split.
      const v = DEFAULT_VALIDATION_FRACTION;
      const parts = stratifiedSplit(
        shape(packaged.train),
        { train: 1 - v, validation: v, test: 0 },
        seed,
      );
      train = parts.train;
      validation = parts.validation;
      test = shape(packaged.test);
    } else {
      split ??= DEFAULT_SPLIT;
      if (split !== DEFAULT_SPLIT) split = parseSplit(split);
      const all = packaged.test
        ? concat(shape(packaged.train), shape(packaged.test))
        : shape(packaged.train);
      const parts = stratifiedSplit(all, split, seed);
      ({ train, validation, test } = parts);
    }
    if (req.perClass !== undefined) train = fewShot(train, req.perClass, seed);
    const options: Record<string, unknown> = {
      packaged: req.packaged,
      source: packaged.source,
      license: packaged.license,
      seed,
      split: split ?? 'official test, validation ' + DEFAULT_VALIDATION_FRACTION + ' of train',
      ...(req.classes ? { classes: req.classes } : {}),
      ...(req.remap ? { remap: req.remap } : {}),
      // Said in the stored options (and so in every response and `autodl datasets show`): the
      // few-shot reduction applies to the train split only.
      ...(req.perClass ? { perClass: req.perClass, perClassAppliesTo: 'train' } : {}),
    };
    return this.persist(
      principal,
      name,
      'packaged',
      options,
      encodeStored(joinSplits(train, validation, test)),
    );
  }

  async list(principal: Principal, limit: number, offset: number) {
    const [items, total] = await this.db.getRepository(DatasetEntity).findAndCount({
      where: { projectId: principal.projectId },
      order: { createdAt: 'DESC' },
      take: limit,
      skip: offset,
    });
    return { items, total };
  }

  /** A data set of the project by id or name (ReferenceResolver). */
  get(projectId: string, ref: string): Promise<DatasetEntity> {
    return this.references.dataset(projectId, ref);
  }

  /**
   * The stored examples and split of a data set of the project, by id (references are resolved
   * before a job is queued).
   */
  async load(projectId: string, id: string): Promise<StoredDataset & { entity: DatasetEntity }> {
    const entity = await this.references.datasetById(projectId, id);
    return { ...decodeDataset(await this.store.read(entity.filePath)), entity };
  }

  /**
   * Example `index` (an index into the data set, as training dynamics record sample ids) of an
   * image data set as a PNG thumbnail.
   */
  async examplePng(projectId: string, ref: string, index: string): Promise<Buffer> {
    const { dataset, entity } = await this.load(projectId, (await this.get(projectId, ref)).id);
    const i = Number(index);
    if (!/^\d+$/.test(index) || i >= dataset.size) {
      throw new NotFoundError(
        `example of data set ${entity.name}`,
        `${index} (0..${dataset.size - 1})`,
      );
    }
    if (dataset.inputs.kind !== 'image') {
      throw new UnprocessableError(
        `data set ${entity.name} holds ${dataset.inputs.kind} examples; only image examples have a thumbnail`,
        [{ field: 'index', message: 'not an image data set' }],
      );
    }
    return examplePng(dataset.inputs.pixels[i] as Float32Array, dataset.inputs.shape);
  }

  /**
   * A few examples per class (or of one class), optionally of one split, for the console's
   * thumbnails and sample rows: image examples by index (their PNG is
   * `GET /v1/datasets/:id/examples/:index`), tabular ones with their feature values, text ones
   * with their text.
   */
  async examples(
    projectId: string,
    ref: string,
    q: ExampleQuery,
  ): Promise<{ dataset: DatasetEntity; items: ExampleItem[] }> {
    const { dataset, split, entity } = await this.load(
      projectId,
      (await this.get(projectId, ref)).id,
    );
    const picked = selectExamples(dataset.labels, dataset.classNames, split, q);
    if (picked === null) {
      throw new NotFoundError(`class of data set ${entity.name}`, String(q.className));
    }
    const inputs = dataset.inputs;
    const items = picked.map((e): ExampleItem => {
      if (inputs.kind === 'tabular') {
        const row = inputs.rows[e.index];
        return {
          ...e,
          features: Object.fromEntries(inputs.featureNames.map((f, i) => [f, row[i]])),
        };
      }
      if (inputs.kind === 'text') return { ...e, text: inputs.texts[e.index] };
      return e;
    });
    return { dataset: entity, items };
  }

  private async assertNameFree(projectId: string, name: string): Promise<void> {
    if (await this.db.getRepository(DatasetEntity).existsBy({ projectId, name })) {
      throw new ConflictError(`a data set named ${name} already exists in this project`);
    }
  }

  private async persist(
    principal: Principal,
    name: string,
    source: 'upload' | 'packaged',
    options: Record<string, unknown>,
    parsed: ParsedUpload,
  ): Promise<DatasetEntity> {
    const id = crypto.randomUUID();
    const written = await this.store.write(
      principal.projectId,
      DATASETS_FOLDER,
      `${id}.ads`,
      Buffer.from(parsed.encoded.buffer, parsed.encoded.byteOffset, parsed.encoded.byteLength),
    );
    try {
      const repo = this.db.getRepository(DatasetEntity);
      // An insert, not save(): save() deep-merges jsonb values key by key and drops a class
      // named __proto__ from countsPerClass (class names are user data).
      const row: Omit<DatasetEntity, 'createdAt'> = {
        id,
        projectId: principal.projectId,
        name,
        kind: parsed.kind,
        source,
        options,
        stats: parsed.stats,
        trainSize: parsed.trainSize,
        validationSize: parsed.validationSize,
        testSize: parsed.testSize,
        filePath: written.path,
        fileSize: String(written.size),
      };
      await repo
        .createQueryBuilder()
        .insert()
        .values(row as QueryDeepPartialEntity<DatasetEntity>)
        .execute();
      return await repo.findOneByOrFail({ id });
    } catch (error) {
      await fs.promises.rm(this.store.resolve(written.path), { force: true });
      if ((error as { code?: string }).code === '23505') {
        throw new ConflictError(`a data set named ${name} already exists in this project`);
      }
      throw error;
    }
  }
}

export interface ExampleItem extends ExampleRef {
  features?: Record<string, number>;
  text?: string;
}

/** A packaged set in the stored format (uploads get theirs from the upload thread). */
function encodeStored(stored: StoredDataset): ParsedUpload {
  return {
    kind: stored.dataset.kind,
    stats: stored.dataset.stats(),
    trainSize: stored.split.train.length,
    validationSize: stored.split.validation.length,
    testSize: stored.split.test.length,
    encoded: encodeDataset(stored.dataset, stored.split),
  };
}

function concat(a: Dataset, b: Dataset): Dataset {
  return joinSplits(a, b, b.select([])).dataset;
}
