import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Dataset } from '../ml/data';
import type { CsvRows } from '../ml/data/csv-rows';
import { loadModelFromBuffers, weightPaths } from '../ml/io/buffers';
import { inferenceBatchSize, predictBatches } from '../ml/train/evaluate';
import { UnprocessableError } from '../platform/errors/domain-error';
import type { ArtifactRef, JobContext } from '../platform/jobs/job-handler';
import type { ExplainableModel } from './core/explainable-model';
import { explainableFromInference, type InferenceModel } from './model-registry.adapter';

/**
 * Explanations without the service (`autodl explain --model path/to/model.json --data rows.csv`):
 * an imported TF.js LayersModel read from disk, rows from a CSV, the same job handlers run in
 * this process with a local JobContext.
 */

/** Reads model.json (any file name) and the weight files it names, relative to its directory. */
export async function loadLayersModelFile(file: string): Promise<tf.LayersModel> {
  let modelJson: Buffer;
  try {
    modelJson = await fs.readFile(file);
  } catch (e) {
    throw new UnprocessableError(`cannot read model file ${file}: ${(e as Error).message}`, [
      { field: '--model', message: 'file not readable' },
    ]);
  }
  const dir = path.dirname(path.resolve(file));
  const weights: Record<string, Buffer> = {};
  for (const rel of weightPaths(modelJson)) {
    const abs = path.resolve(dir, rel);
    if (!abs.startsWith(dir + path.sep)) {
      throw new UnprocessableError(`weight path ${rel} escapes the model directory`, [
        { field: rel, message: 'path traversal' },
      ]);
    }
    try {
      weights[rel] = await fs.readFile(abs);
    } catch (e) {
      throw new UnprocessableError(`cannot read weight file ${abs}: ${(e as Error).message}`, [
        { field: rel, message: 'weight file not readable' },
      ]);
    }
  }
  return loadModelFromBuffers(modelJson, weights);
}

/**
 * Model outputs as class probabilities: one sigmoid unit becomes [1 - p, p] (a logit outside
 * [0, 1] goes through the sigmoid first); rows that are not already distributions (negative or
 * not summing to 1) go through a softmax, so logit models explain the same as softmax ones.
 */
export function toProbabilities(rows: number[][]): number[][] {
  return rows.map((row) => {
    if (row.length === 1) {
      const v = row[0];
      const p = v >= 0 && v <= 1 ? v : 1 / (1 + Math.exp(-v));
      return [1 - p, p];
    }
    const sum = row.reduce((s, v) => s + v, 0);
    if (row.every((v) => v >= 0) && Math.abs(sum - 1) < 1e-3) return row;
    const max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max));
    const z = e.reduce((s, v) => s + v, 0);
    return e.map((v) => v / z);
  });
}

/**
 * A tabular ExplainableModel over a LayersModel taking [batch, features] and the rows of a CSV
 * (LIME's statistics and the pool instances are drawn from). Class names: `classNames`, else
 * the sorted distinct labels of the CSV when there are as many as model outputs, else class_<i>.
 */
export function localTabularModel(
  model: tf.LayersModel,
  ref: string,
  csv: CsvRows,
  classNames?: string[],
): ExplainableModel {
  const outputs = model.outputs[0].shape[model.outputs[0].shape.length - 1] ?? 1;
  const numClasses = outputs === 1 ? 2 : outputs;
  let names = classNames;
  if (names && names.length !== numClasses) {
    throw new UnprocessableError(
      `--class-names: ${names.length} names for a model with ${numClasses} classes`,
      [{ field: '--class-names', message: `give ${numClasses} names` }],
    );
  }
  if (!names) {
    const distinct = [...new Set(csv.labels ?? [])];
    const numeric = distinct.every((d) => Number.isFinite(Number(d)));
    distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
    names =
      distinct.length === numClasses
        ? distinct
        : Array.from({ length: numClasses }, (_, i) => `class_${i}`);
  }
  const width = csv.featureNames.length;
  const inference: InferenceModel = {
    meta: {
      id: ref,
      projectId: 'local',
      name: path.basename(ref),
      inputKind: 'tabular',
      inputShape: [width],
      classNames: names,
      featureNames: csv.featureNames,
      datasetId: 'csv',
    },
    // One model pass per batch sized for throughput (model.predict alone re-splits into 32s).
    predictRows: async (rows) =>
      toProbabilities(
        tf.tidy(() =>
          predictBatches(
            model,
            tf.tensor2d(rows, [rows.length, width]),
            inferenceBatchSize([width]),
          ).arraySync(),
        ) as number[][],
      ),
    predictImages: () => Promise.reject(new Error('not an image model')),
    predictTexts: () => Promise.reject(new Error('not a text model')),
    dispose: () => model.dispose(),
  };
  const dataset = new Dataset(
    { kind: 'tabular', featureNames: csv.featureNames, rows: csv.rows },
    csv.rows.map(() => 0),
    names,
  );
  return explainableFromInference(inference, dataset, '--data');
}

/** The number of features a LayersModel takes, or an error saying why it is not tabular. */
export function tabularWidth(model: tf.LayersModel, ref: string): number {
  const shape = model.inputs[0].shape;
  const width = shape[1];
  if (model.inputs.length !== 1 || shape.length !== 2 || typeof width !== 'number') {
    throw new UnprocessableError(
      `${ref} takes input [${shape.map((d) => d ?? 'batch').join(', ')}]; explaining a model file ` +
        'in-process supports tabular models ([batch, features]) with a CSV: register other models ' +
        'and run `autodl explain --model <id>` against the service',
      [{ field: '--model', message: 'not a tabular model' }],
    );
  }
  return width;
}

/** A JobContext for a run in this process: artifacts go to `outDir` (when given). */
export class LocalJobContext implements JobContext {
  readonly jobId = 'local';
  readonly projectId = 'local';
  readonly attempt = 1;
  readonly resumeFrom = undefined;
  readonly cancelled = false;
  readonly signal = new AbortController().signal;
  readonly written: string[] = [];

  constructor(
    private readonly outDir: string | null,
    private readonly onProgress: (fraction: number, message?: string) => void,
  ) {}

  async progress(fraction: number, message?: string): Promise<void> {
    this.onProgress(fraction, message);
  }
  async log(): Promise<void> {}
  async metric(): Promise<void> {}
  async checkpoint(): Promise<void> {}
  async artifact(
    name: string,
    data: Buffer | string,
    contentType = 'application/octet-stream',
  ): Promise<ArtifactRef> {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (this.outDir) {
      await fs.mkdir(this.outDir, { recursive: true });
      const file = path.join(this.outDir, path.basename(name));
      await fs.writeFile(file, bytes);
      this.written.push(file);
    }
    return { jobId: this.jobId, name, size: bytes.length, sha256: '', contentType };
  }
  async readArtifact(): Promise<Buffer> {
    throw new UnprocessableError('a local explanation reads no other job artifacts');
  }
}
