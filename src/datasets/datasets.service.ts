import * as crypto from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { loadPackagedDataset } from '../ml/data/packaged';
import { ArtifactStore } from '../platform/artifacts/artifact-store';
import type { Principal } from '../platform/auth/projects.service';
import { APP_CONFIG, type AppConfig } from '../platform/config/app-config';
import { ConflictError, NotFoundError, UnprocessableError } from '../platform/errors/domain-error';
import { decodeDataset, encodeDataset, StoredDataset } from './core/dataset-codec';
import { type ExampleQuery, type ExampleRef, selectExamples } from './core/dataset-examples';
import { checkRegistryName } from './core/names';
import { type PackagedRequest, splitPackaged } from './core/packaged-split';
import { resolveId, resolveReference } from './core/references';
import { DatasetEntity } from './dataset.entity';
import { DatasetRows, DatasetsRepository, type NewDatasetRow } from './datasets.repository';
import { examplePng } from './example-png';
import { readUploadHead, readUploadRequest, type UploadedDataFile } from './uploads/upload-form';
import type { ParsedUpload } from './uploads/upload-parse';
import { UploadParserPool } from './uploads/upload-parser-pool';

/** Uploads above this size are refused with 413 before parsing (multer limit). */
export const DATASET_UPLOAD_MAX_BYTES = 256 * 1024 * 1024;
/** Folder of the artifact store (under the project) holding data set files. */
const DATASETS_FOLDER = 'datasets';

export interface ExampleItem extends ExampleRef {
  features?: Record<string, number>;
  text?: string;
}

/**
 * Data set registry: parses uploads and packaged sets with src/ml/data, splits them
 * (stratified, seeded), stores the examples as one file and then the row. A failure anywhere
 * leaves neither: the file is removed when the row cannot be written.
 */
@Injectable()
export class DatasetsService {
  constructor(
    @Inject(DatasetsRepository) private readonly repo: DatasetRows,
    private readonly store: ArtifactStore,
    private readonly parser: UploadParserPool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async createFromUpload(
    principal: Principal,
    upload: UploadedDataFile | undefined,
    fields: Record<string, unknown>,
  ): Promise<DatasetEntity> {
    const { file, name } = readUploadHead(upload, fields);
    await this.assertNameFree(principal.projectId, name);
    const { request, options } = readUploadRequest(file, fields, this.config.datasetMaxPixels);
    // Decoding and splitting happen in an upload thread: the event loop stays free meanwhile.
    const parsed = await this.parser.parse(request);
    return this.persist(principal.projectId, name, 'upload', options, parsed);
  }

  async createPackaged(principal: Principal, req: PackagedRequest): Promise<DatasetEntity> {
    const name = checkRegistryName(req.name ?? req.packaged);
    await this.assertNameFree(principal.projectId, name);
    const { stored, options } = splitPackaged(await loadPackagedDataset(req.packaged), req);
    return this.persist(principal.projectId, name, 'packaged', options, encodeStored(stored));
  }

  /**
   * Several data sets derived from registered ones (a data set split into federation sites), all
   * registered or none: the names are checked first, the files written, then the rows inserted
   * in one transaction; on any failure the files written are removed.
   */
  async createDerived(
    principal: Principal,
    sets: readonly { name: string; options: Record<string, unknown>; stored: StoredDataset }[],
  ): Promise<DatasetEntity[]> {
    const names = sets.map((s) => checkRegistryName(s.name));
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) throw nameTaken(twice);
    for (const name of names) await this.assertNameFree(principal.projectId, name);
    const written: string[] = [];
    try {
      const rows: NewDatasetRow[] = [];
      for (const [i, set] of sets.entries()) {
        const { row, fileName } = await this.writeFile(
          principal.projectId,
          names[i],
          'derived',
          set.options,
          encodeStored(set.stored),
        );
        written.push(fileName);
        rows.push(row);
      }
      const inserted = await this.repo.insertAll(rows);
      if (inserted === null)
        throw new ConflictError('a data set of one of these names was registered meanwhile');
      return inserted;
    } catch (error) {
      for (const fileName of written)
        await this.store.remove(principal.projectId, DATASETS_FOLDER, fileName);
      throw error;
    }
  }

  list(principal: Principal, limit: number, offset: number) {
    return this.repo.page(principal.projectId, limit, offset);
  }

  /** A data set of the project by id or name (datasets/core/references.ts). */
  get(projectId: string, ref: string): Promise<DatasetEntity> {
    return resolveReference(this.repo, 'dataset', projectId, ref);
  }

  /** By id only (a resolved reference, e.g. in a job spec). */
  getById(projectId: string, id: string): Promise<DatasetEntity> {
    return resolveId(this.repo, 'dataset', projectId, id);
  }

  /**
   * The stored examples and split of a data set of the project, by id (references are resolved
   * before a job is queued).
   */
  async load(projectId: string, id: string): Promise<StoredDataset & { entity: DatasetEntity }> {
    const entity = await this.getById(projectId, id);
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
    if (await this.repo.nameTaken(projectId, name)) throw nameTaken(name);
  }

  private async persist(
    projectId: string,
    name: string,
    source: 'upload' | 'packaged',
    options: Record<string, unknown>,
    parsed: ParsedUpload,
  ): Promise<DatasetEntity> {
    const { row, fileName } = await this.writeFile(projectId, name, source, options, parsed);
    let inserted: DatasetEntity | null;
    try {
      inserted = await this.repo.insert(row);
    } catch (error) {
      await this.store.remove(projectId, DATASETS_FOLDER, fileName);
      throw error;
    }
    if (inserted === null) {
      await this.store.remove(projectId, DATASETS_FOLDER, fileName);
      throw nameTaken(name);
    }
    return inserted;
  }

  /** Writes a data set's file; returns the row that describes it, not inserted yet. */
  private async writeFile(
    projectId: string,
    name: string,
    source: DatasetEntity['source'],
    options: Record<string, unknown>,
    parsed: ParsedUpload,
  ): Promise<{ row: NewDatasetRow; fileName: string }> {
    const id = crypto.randomUUID();
    const fileName = `${id}.ads`;
    const written = await this.store.write(
      projectId,
      DATASETS_FOLDER,
      fileName,
      Buffer.from(parsed.encoded.buffer, parsed.encoded.byteOffset, parsed.encoded.byteLength),
    );
    return {
      fileName,
      row: {
        id,
        projectId,
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
      },
    };
  }
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(`a data set named ${name} already exists in this project`);
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
