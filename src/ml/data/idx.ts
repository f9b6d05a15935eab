/**
 * IDX files, the format of MNIST and Fashion-MNIST (LeCun et al., "THE MNIST DATABASE",
 * yann.lecun.com/exdb/mnist): 2 zero bytes, a type code, the number of dimensions, then each
 * dimension as a big-endian uint32, then the values big-endian. Gzipped files are detected by
 * their magic bytes and inflated with a size cap.
 */
import { gunzipSync } from 'node:zlib';
import { Dataset, unprocessable } from './dataset';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export interface IdxArray {
  type: IdxType;
  dims: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPE_CODES: Record<number, { type: IdxType; bytes: number }> = {
  0x08: { type: 'uint8', bytes: 1 },
  0x09: { type: 'int8', bytes: 1 },
  0x0b: { type: 'int16', bytes: 2 },
  0x0c: { type: 'int32', bytes: 4 },
  0x0d: { type: 'float32', bytes: 4 },
  0x0e: { type: 'float64', bytes: 8 },
};

/** Default cap on the inflated size of a gzipped upload (a gzip bomb stops here). */
export const DEFAULT_MAX_INFLATED_BYTES = 1 << 30;

/** Inflates `buffer` when it starts with the gzip magic bytes, else returns it unchanged. */
export function maybeGunzip(
  buffer: Buffer,
  file: string,
  maxBytes = DEFAULT_MAX_INFLATED_BYTES,
): Buffer {
  if (buffer.length < 2 || buffer[0] !== 0x1f || buffer[1] !== 0x8b) return buffer;
  try {
    return gunzipSync(buffer, { maxOutputLength: maxBytes });
  } catch (err) {
    const reason =
      err instanceof RangeError
        ? `inflates to more than ${maxBytes} bytes`
        : `is not valid gzip (${(err as Error).message})`;
    throw unprocessable(file, reason);
  }
}

/** Parses one IDX file (gzipped or not). `file` names it in errors. */
export function parseIdx(buffer: Buffer, file: string): IdxArray {
  const buf = maybeGunzip(buffer, file);
  if (buf.length < 4) throw unprocessable(file, `IDX file too short (${buf.length} bytes)`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw unprocessable(file, 'not an IDX file: the first two bytes must be zero');
  }
  const code = TYPE_CODES[buf[2]];
  if (code === undefined)
    throw unprocessable(file, `unknown IDX type code 0x${buf[2].toString(16)}`);
  const ndims = buf[3];
  if (ndims === 0) throw unprocessable(file, 'IDX file declares 0 dimensions');
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes)
    throw unprocessable(file, `IDX header truncated: ${ndims} dimensions declared`);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    const size = buf.readUInt32BE(4 + 4 * d);
    dims.push(size);
    count *= size;
  }
  const expected = headerBytes + count * code.bytes;
  if (buf.length !== expected) {
    throw unprocessable(
      file,
      `IDX dimensions ${dims.join('x')} of ${code.type} need ${expected} bytes, file has ${buf.length}`,
    );
  }
  const view = new DataView(buf.buffer, buf.byteOffset + headerBytes, count * code.bytes);
  return { type: code.type, dims, data: readValues(view, code.type, count) };
}

function readValues(view: DataView, type: IdxType, count: number): IdxArray['data'] {
  switch (type) {
    case 'uint8':
      return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + count));
    case 'int8':
      return new Int8Array(view.buffer.slice(view.byteOffset, view.byteOffset + count));
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i);
      return out;
    }
  }
}

/** Serialises an array as IDX (uncompressed). Used for fixtures and exports. */
export function encodeIdx(array: IdxArray): Buffer {
  const entry = Object.entries(TYPE_CODES).find(([, v]) => v.type === array.type);
  if (entry === undefined) throw new RangeError(`unknown IDX type ${array.type}`);
  const [codeText, { bytes }] = entry;
  const count = array.dims.reduce((a, b) => a * b, 1);
  if (array.data.length !== count) {
    throw new RangeError(
      `data has ${array.data.length} values but dims ${array.dims.join('x')} need ${count}`,
    );
  }
  const headerBytes = 4 + 4 * array.dims.length;
  const out = Buffer.alloc(headerBytes + count * bytes);
  out[2] = Number(codeText);
  out[3] = array.dims.length;
  array.dims.forEach((d, i) => out.writeUInt32BE(d, 4 + 4 * i));
  const view = new DataView(out.buffer, out.byteOffset + headerBytes);
  for (let i = 0; i < count; i++) {
    const v = array.data[i];
    switch (array.type) {
      case 'uint8':
        view.setUint8(i, v);
        break;
      case 'int8':
        view.setInt8(i, v);
        break;
      case 'int16':
        view.setInt16(2 * i, v);
        break;
      case 'int32':
        view.setInt32(4 * i, v);
        break;
      case 'float32':
        view.setFloat32(4 * i, v);
        break;
      case 'float64':
        view.setFloat64(8 * i, v);
        break;
    }
  }
  return out;
}

export interface IdxDatasetFiles {
  images: Buffer;
  labels: Buffer;
  /** Names used in error messages. */
  imagesFile: string;
  labelsFile: string;
  /** Class names by label value; default `0`..`max label`. */
  classNames?: readonly string[];
}

/**
 * An image data set from an IDX image file (n x rows x cols [x channels], uint8) and an IDX label
 * file (n, uint8). Pixels are scaled to [0, 1] by dividing by 255, as Fashion-MNIST baselines do.
 */
export function idxImageDataset(files: IdxDatasetFiles): Dataset {
  const images = parseIdx(files.images, files.imagesFile);
  const labels = parseIdx(files.labels, files.labelsFile);
  if (images.type !== 'uint8' || (images.dims.length !== 3 && images.dims.length !== 4)) {
    throw unprocessable(
      files.imagesFile,
      `expected uint8 images of n x rows x cols [x channels], got ${images.type} ${images.dims.join('x')}`,
    );
  }
  if (labels.dims.length !== 1) {
    throw unprocessable(
      files.labelsFile,
      `expected a 1-dimensional label file, got ${labels.dims.join('x')}`,
    );
  }
  const [n, height, width] = images.dims;
  const channels = images.dims.length === 4 ? images.dims[3] : 1;
  if (labels.dims[0] !== n) {
    throw unprocessable(
      files.labelsFile,
      `has ${labels.dims[0]} labels but ${files.imagesFile} has ${n} images`,
    );
  }
  const labelValues = Array.from(labels.data);
  const maxLabel = labelValues.reduce((a, b) => Math.max(a, b), 0);
  const classNames = files.classNames ?? Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  const bad = labelValues.findIndex((v) => !Number.isInteger(v) || v < 0 || v >= classNames.length);
  if (bad >= 0) {
    throw unprocessable(
      `${files.labelsFile}:${bad}`,
      `label ${labelValues[bad]} is outside [0, ${classNames.length - 1}]`,
    );
  }
  const len = height * width * channels;
  // One contiguous buffer; each example is a view into it (60000 Fashion-MNIST images = 188 MB).
  const all = new Float32Array(n * len);
  const src = images.data;
  for (let i = 0; i < all.length; i++) all[i] = src[i] / 255;
  const pixels = Array.from({ length: n }, (_, i) => all.subarray(i * len, (i + 1) * len));
  return new Dataset(
    { kind: 'image', shape: { height, width, channels }, pixels },
    labelValues,
    classNames,
  );
}
