/**
 * Parsing an uploaded data set file into the stored format: decode (zip of images, CSV, JSONL),
 * stratified split, encode. Runs in an upload thread (upload-parser-pool.ts), never on the API's
 * event loop: decoding 30 million pixels takes seconds of CPU. Input and output are plain data
 * that cross the thread boundary by structured clone; the file and the encoded bytes are
 * transferred, not copied.
 */
import { parseCsv } from '../../ml/data/csv';
import type { DatasetKind, DatasetStats } from '../../ml/data/dataset';
import { parseImageZip } from '../../ml/data/image-zip';
import type { ResizeMethod } from '../../ml/data/image';
import { parseJsonl } from '../../ml/data/jsonl';
import { stratifiedSplit, type SplitFractions } from '../../ml/data/transforms';
import {
  DomainError,
  type FieldProblem,
  UnprocessableError,
  ValidationError,
} from '../../platform/errors/domain-error';
import { encodeDataset, joinSplits } from '../core/dataset-codec';

export type UploadKind = 'image' | 'tabular' | 'text';

export interface UploadParseRequest {
  kind: UploadKind;
  /** Sanitised file name, used in problem fields. */
  fileName: string;
  data: Uint8Array;
  split: SplitFractions;
  seed: number;
  resize?: { height: number; width: number; method: ResizeMethod };
  channels: 1 | 3 | 'auto';
  labelColumn?: string;
  /** Pixels all images of the set may have together (AUTODL_DATASET_MAX_PIXELS). */
  maxTotalPixels: number;
}

export interface ParsedUpload {
  kind: DatasetKind;
  stats: DatasetStats;
  trainSize: number;
  validationSize: number;
  testSize: number;
  /** The encoded data set file (dataset-codec.ts). */
  encoded: Uint8Array;
}

export function parseUpload(req: UploadParseRequest): Promise<ParsedUpload> | ParsedUpload {
  const buffer = Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength);
  if (req.kind === 'image') {
    return parseImageZip(buffer, req.fileName, {
      resize: req.resize,
      channels: req.channels,
      limits: { maxTotalPixels: req.maxTotalPixels },
    }).then((ds) => finish(ds, req));
  }
  const text = buffer.toString('utf8');
  const ds =
    req.kind === 'tabular'
      ? parseCsv(text, req.fileName, { labelColumn: req.labelColumn })
      : parseJsonl(text, req.fileName);
  return finish(ds, req);
}

function finish(ds: Parameters<typeof stratifiedSplit>[0], req: UploadParseRequest): ParsedUpload {
  const parts = stratifiedSplit(ds, req.split, req.seed);
  const stored = joinSplits(parts.train, parts.validation, parts.test);
  return {
    kind: stored.dataset.kind,
    stats: stored.dataset.stats(),
    trainSize: stored.split.train.length,
    validationSize: stored.split.validation.length,
    testSize: stored.split.test.length,
    encoded: encodeDataset(stored.dataset, stored.split),
  };
}

/** A domain error as plain data (class instances lose their class crossing threads). */
export interface SerializedError {
  kind: 'validation' | 'unprocessable' | 'internal';
  message: string;
  problems?: FieldProblem[];
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof ValidationError || error instanceof UnprocessableError) {
    return { kind: error.kind, message: error.message, problems: error.problems };
  }
  if (error instanceof DomainError) return { kind: 'unprocessable', message: error.message };
  const e = error instanceof Error ? error : new Error(String(error));
  return { kind: 'internal', message: e.stack ?? e.message };
}

export function deserializeError(error: SerializedError): Error {
  if (error.kind === 'validation') return new ValidationError(error.message, error.problems);
  if (error.kind === 'unprocessable') return new UnprocessableError(error.message, error.problems);
  return new Error(`upload parser failed: ${error.message}`);
}
