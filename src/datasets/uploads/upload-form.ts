import { ValidationError, UnprocessableError } from '../../platform/errors/domain-error';
import { checkRegistryName } from '../core/names';
import { DEFAULT_SPLIT, parseIntField, parseResize, parseSplit } from '../core/dataset-options';
import type { UploadKind, UploadParseRequest } from './upload-parse';

/** An uploaded file as multer keeps it in memory. */
export interface UploadedDataFile {
  originalname: string;
  buffer: Buffer;
}

const UPLOAD_FIELDS = ['name', 'kind', 'labelColumn', 'resize', 'split', 'seed', 'channels'];

/**
 * The checks of a `POST /v1/datasets` form that come before its name is looked up: only known
 * fields, a file, a valid name.
 */
export function readUploadHead(
  file: UploadedDataFile | undefined,
  fields: Record<string, unknown>,
): { file: UploadedDataFile; name: string } {
  const unknown = Object.keys(fields).filter((k) => !UPLOAD_FIELDS.includes(k));
  if (unknown.length > 0) {
    throw ValidationError.field(
      unknown[0],
      `unknown form field; allowed: file, ${UPLOAD_FIELDS.join(', ')}`,
    );
  }
  if (file === undefined)
    throw ValidationError.field('file', 'a data file is required (multipart field "file")');
  return { file, name: checkRegistryName(fields.name) };
}

/**
 * The rest of the form: what the upload thread parses (kind from the field or the extension,
 * split, seed, image resize and channels, CSV label column) and the options stored on the row.
 */
export function readUploadRequest(
  file: UploadedDataFile,
  fields: Record<string, unknown>,
  maxTotalPixels: number,
): { request: UploadParseRequest; options: Record<string, unknown> } {
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
  return {
    request: {
      kind,
      fileName,
      data: file.buffer,
      split,
      seed,
      resize,
      channels,
      labelColumn,
      maxTotalPixels,
    },
    options,
  };
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
