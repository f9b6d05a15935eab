import { Dataset, DatasetInputs } from '../../ml/data/dataset';
import { UnprocessableError } from '../../platform/errors/domain-error';

/** Indices of the examples of each split, into the stored data set. */
export interface SplitIndices {
  train: number[];
  validation: number[];
  test: number[];
}

export interface StoredDataset {
  dataset: Dataset;
  split: SplitIndices;
}

/**
 * File format of a registered data set: `ADS1`, a uint32 (LE) header length, the UTF-8 JSON
 * header (kind, class names, labels, split, and rows/texts/feature names or the image shape),
 * then, for images, every example's Float32 HWC pixels back to back (little endian). Binary
 * pixels keep 60000 Fashion-MNIST images at 188 MB instead of a JSON number list several times
 * that size, and decode without parsing.
 */
const MAGIC = 'ADS1';

interface Header {
  kind: DatasetInputs['kind'];
  classNames: string[];
  labels: number[];
  split: SplitIndices;
  shape?: { height: number; width: number; channels: number };
  featureNames?: string[];
  rows?: number[][];
  texts?: string[];
}

export function encodeDataset(ds: Dataset, split: SplitIndices): Buffer {
  const inputs = ds.inputs;
  const header: Header = {
    kind: inputs.kind,
    classNames: [...ds.classNames],
    labels: [...ds.labels],
    split,
  };
  let pixels = Buffer.alloc(0);
  if (inputs.kind === 'image') {
    header.shape = { ...inputs.shape };
    const len = inputs.shape.height * inputs.shape.width * inputs.shape.channels;
    const all = new Float32Array(inputs.pixels.length * len);
    inputs.pixels.forEach((p, i) => all.set(p, i * len));
    pixels = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  } else if (inputs.kind === 'tabular') {
    header.featureNames = [...inputs.featureNames];
    header.rows = inputs.rows.map((r) => [...r]);
  } else {
    header.texts = [...inputs.texts];
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(json.length, 4);
  return Buffer.concat([prefix, json, pixels]);
}

function corrupt(message: string): UnprocessableError {
  return new UnprocessableError(`stored data set file is corrupt: ${message}`, [
    { field: 'dataset', message },
  ]);
}

export function decodeDataset(buffer: Buffer): StoredDataset {
  if (buffer.length < 8 || buffer.toString('ascii', 0, 4) !== MAGIC) throw corrupt('bad magic');
  const headerLength = buffer.readUInt32LE(4);
  if (8 + headerLength > buffer.length) throw corrupt('truncated header');
  const header = JSON.parse(buffer.toString('utf8', 8, 8 + headerLength)) as Header;
  let inputs: DatasetInputs;
  if (header.kind === 'image') {
    const shape = header.shape;
    if (shape === undefined) throw corrupt('image set without shape');
    const len = shape.height * shape.width * shape.channels;
    const n = header.labels.length;
    const bytes = buffer.subarray(8 + headerLength);
    if (bytes.length !== n * len * 4) throw corrupt(`expected ${n * len * 4} pixel bytes`);
    // Copy into an aligned buffer: Float32Array views need 4-byte aligned offsets.
    const all = new Float32Array(n * len);
    Buffer.from(all.buffer).set(bytes);
    const pixels = Array.from({ length: n }, (_, i) => all.subarray(i * len, (i + 1) * len));
    inputs = { kind: 'image', shape, pixels };
  } else if (header.kind === 'tabular') {
    inputs = { kind: 'tabular', featureNames: header.featureNames ?? [], rows: header.rows ?? [] };
  } else {
    inputs = { kind: 'text', texts: header.texts ?? [] };
  }
  return { dataset: new Dataset(inputs, header.labels, header.classNames), split: header.split };
}

/** One data set holding train, validation and test back to back, with the split as indices. */
export function joinSplits(train: Dataset, validation: Dataset, test: Dataset): StoredDataset {
  const parts = [train, validation, test];
  const first = train.inputs;
  const labels = parts.flatMap((p) => [...p.labels]);
  let inputs: DatasetInputs;
  if (first.kind === 'image') {
    inputs = {
      kind: 'image',
      shape: first.shape,
      pixels: parts.flatMap((p) => (p.inputs.kind === 'image' ? [...p.inputs.pixels] : [])),
    };
  } else if (first.kind === 'tabular') {
    inputs = {
      kind: 'tabular',
      featureNames: first.featureNames,
      rows: parts.flatMap((p) => (p.inputs.kind === 'tabular' ? [...p.inputs.rows] : [])),
    };
  } else {
    inputs = {
      kind: 'text',
      texts: parts.flatMap((p) => (p.inputs.kind === 'text' ? [...p.inputs.texts] : [])),
    };
  }
  const range = (from: number, n: number): number[] =>
    Array.from({ length: n }, (_, i) => from + i);
  return {
    dataset: new Dataset(inputs, labels, train.classNames),
    split: {
      train: range(0, train.size),
      validation: range(train.size, validation.size),
      test: range(train.size + validation.size, test.size),
    },
  };
}

/** The three splits of a stored data set. */
export function splitsOf(stored: StoredDataset): {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
} {
  return {
    train: stored.dataset.select(stored.split.train),
    validation: stored.dataset.select(stored.split.validation),
    test: stored.dataset.select(stored.split.test),
  };
}
