import * as tf from '@tensorflow/tfjs';
import { Dataset, Vocabulary } from '../../ml/data';
import { decodeImage, toFloatChannels } from '../../ml/data/image';
import { FieldProblem, UnprocessableError } from '../../platform/errors/domain-error';
import { Preprocessing } from './model-meta';

/** The input contract of a registered model, as predict and training see it. */
export interface InputContract {
  inputKind: 'image' | 'tabular' | 'text';
  inputShape: number[];
  featureNames?: readonly string[] | null;
  preprocessing: Preprocessing;
}

/** Decoded pixels may not exceed this (a 4096 x 4096 image), as the upload limits. */
const MAX_PREDICT_PIXELS = 4096 * 4096;

function prod(xs: readonly number[]): number {
  return xs.reduce((p, d) => p * d, 1);
}

/** Applies the stored z-score to tabular rows (features with std 0 are only centred). */
export function normaliseRows(
  rows: readonly (readonly number[])[],
  pre: Preprocessing,
): number[][] {
  const n = pre.normalise;
  if (n === undefined) return rows.map((r) => [...r]);
  return rows.map((r) => r.map((v, j) => (v - n.mean[j]) / (n.std[j] > 0 ? n.std[j] : 1)));
}

/** Network input for a batch of already-validated examples of the contract's kind. */
export function inputTensor(
  contract: InputContract,
  batch: {
    images?: readonly Float32Array[];
    rows?: readonly (readonly number[])[];
    texts?: readonly string[];
  },
  vocabulary?: Vocabulary,
): tf.Tensor {
  const shape = contract.inputShape;
  if (contract.inputKind === 'image') {
    const images = batch.images ?? [];
    const flat = new Float32Array(images.length * prod(shape));
    images.forEach((img, i) => flat.set(img, i * prod(shape)));
    return tf.tensor(flat, [images.length, ...shape]);
  }
  if (contract.inputKind === 'tabular') {
    // Straight into a typed array (normaliseRows' arithmetic): LIME predicts thousands of rows,
    // and tf.tensor2d on nested arrays copies and checks every row again.
    const rows = batch.rows ?? [];
    const width = shape[0];
    const z = contract.preprocessing.normalise;
    const flat = new Float32Array(rows.length * width);
    rows.forEach((r, i) => {
      if (r.length !== width)
        throw new RangeError(`rows[${i}] has ${r.length} values, not ${width}`);
      for (let j = 0; j < width; j++) {
        flat[i * width + j] = z ? (r[j] - z.mean[j]) / (z.std[j] > 0 ? z.std[j] : 1) : r[j];
      }
    });
    return tf.tensor2d(flat, [rows.length, width]);
  }
  if (vocabulary === undefined) throw new Error('a text model needs its vocabulary');
  const length = contract.preprocessing.sequenceLength ?? shape[0];
  const texts = batch.texts ?? [];
  const ids = new Int32Array(texts.length * length);
  texts.forEach((t, i) => ids.set(vocabulary.encode(t, length), i * length));
  return tf.tensor2d(ids, [texts.length, length], 'int32');
}

/** The whole data set as (x, y) tensors for the training loop; the caller disposes them. */
export function datasetTensors(
  ds: Dataset,
  contract: InputContract,
  vocabulary?: Vocabulary,
): { x: tf.Tensor; y: tf.Tensor } {
  checkDatasetFits(ds, contract);
  const inputs = ds.inputs;
  const x = inputTensor(
    contract,
    inputs.kind === 'image'
      ? { images: inputs.pixels }
      : inputs.kind === 'tabular'
        ? { rows: inputs.rows }
        : { texts: inputs.texts },
    vocabulary,
  );
  return { x, y: tf.tensor1d([...ds.labels], 'int32') };
}

/** A data set fits a model when kinds agree and image shape / feature count match the input. */
export function checkDatasetFits(ds: Dataset, contract: InputContract): void {
  const inputs = ds.inputs;
  if (inputs.kind !== contract.inputKind) {
    throw new UnprocessableError(
      `the data set holds ${inputs.kind} data but the model takes ${contract.inputKind} inputs`,
      [
        {
          field: 'dataset',
          message: `kind ${inputs.kind} does not fit a ${contract.inputKind} model`,
        },
      ],
    );
  }
  if (inputs.kind === 'image') {
    const s = [inputs.shape.height, inputs.shape.width, inputs.shape.channels];
    if (s.join('x') !== contract.inputShape.join('x')) {
      throw new UnprocessableError(
        `the data set's images are ${s.join('x')} but the model takes ${contract.inputShape.join('x')}`,
        [
          {
            field: 'dataset',
            message: `image shape ${s.join('x')} != model input ${contract.inputShape.join('x')}`,
          },
        ],
      );
    }
  }
  if (inputs.kind === 'tabular' && inputs.featureNames.length !== contract.inputShape[0]) {
    throw new UnprocessableError(
      `the data set has ${inputs.featureNames.length} features but the model takes ${contract.inputShape[0]}`,
      [
        {
          field: 'dataset',
          message: `${inputs.featureNames.length} features != model input ${contract.inputShape[0]}`,
        },
      ],
    );
  }
}

/**
 * Validates predict instances against the model's input contract. Images: base64 PNG/JPEG
 * (decoded, scaled to [0, 1], converted to the model's channel count; no silent resize) or flat
 * HWC pixel arrays in [0, 1]. Every mismatch is reported with its index.
 */
export function parseInstances(
  contract: InputContract,
  body: { images?: unknown[]; rows?: unknown[]; texts?: unknown[] },
): { images?: Float32Array[]; rows?: number[][]; texts?: string[]; count: number } {
  const given = (['images', 'rows', 'texts'] as const).filter((k) => body[k] !== undefined);
  const expected =
    contract.inputKind === 'image' ? 'images' : contract.inputKind === 'tabular' ? 'rows' : 'texts';
  if (given.length !== 1 || given[0] !== expected) {
    throw new UnprocessableError(
      `this ${contract.inputKind} model takes "${expected}"; got ${given.length === 0 ? 'none' : given.map((g) => `"${g}"`).join(', ')}`,
      [{ field: expected, message: `required for a ${contract.inputKind} model` }],
    );
  }
  const items = body[expected] ?? [];
  if (items.length === 0) {
    throw new UnprocessableError(`${expected} is empty`, [
      { field: expected, message: 'must not be empty' },
    ]);
  }
  const problems: FieldProblem[] = [];
  const shape = contract.inputShape;
  if (expected === 'images') {
    const [h, w, c] = shape;
    const len = prod(shape);
    const images = items.map((item, i) => {
      const field = `images[${i}]`;
      if (typeof item === 'string') {
        const bytes = Buffer.from(item, 'base64');
        let decoded;
        try {
          decoded = decodeImage(bytes, MAX_PREDICT_PIXELS);
        } catch (e) {
          problems.push({ field, message: `not a decodable PNG/JPEG (${(e as Error).message})` });
          return new Float32Array(0);
        }
        if (decoded.height !== h || decoded.width !== w) {
          problems.push({
            field,
            message: `image is ${decoded.height}x${decoded.width} but the model takes ${h}x${w}`,
          });
          return new Float32Array(0);
        }
        if (c !== 1 && c !== 3) {
          problems.push({ field, message: `the model takes ${c} channels; send pixel arrays` });
          return new Float32Array(0);
        }
        return toFloatChannels(decoded, c);
      }
      if (Array.isArray(item)) {
        if (
          item.length !== len ||
          !item.every((v) => typeof v === 'number' && Number.isFinite(v))
        ) {
          problems.push({
            field,
            message: `must be ${len} finite numbers (${shape.join('x')} HWC), got ${item.length} values`,
          });
          return new Float32Array(0);
        }
        return Float32Array.from(item as number[]);
      }
      problems.push({ field, message: 'must be a base64 PNG/JPEG string or an array of pixels' });
      return new Float32Array(0);
    });
    throwIfAny(problems);
    return { images, count: images.length };
  }
  if (expected === 'rows') {
    const width = shape[0];
    const rows = items.map((item, i) => {
      if (
        !Array.isArray(item) ||
        item.length !== width ||
        !item.every((v) => typeof v === 'number' && Number.isFinite(v))
      ) {
        const got = Array.isArray(item) ? `${item.length} values` : typeof item;
        problems.push({
          field: `rows[${i}]`,
          message: `must be ${width} finite numbers (the model's features), got ${got}`,
        });
        return [];
      }
      return item as number[];
    });
    throwIfAny(problems);
    return { rows, count: rows.length };
  }
  const texts = items.map((item, i) => {
    if (typeof item !== 'string')
      problems.push({ field: `texts[${i}]`, message: 'must be a string' });
    return String(item);
  });
  throwIfAny(problems);
  return { texts, count: texts.length };
}

function throwIfAny(problems: FieldProblem[]): void {
  if (problems.length === 0) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  throw new UnprocessableError(
    `input does not match the model: ${problems[0].field}: ${problems[0].message}${more}`,
    problems.slice(0, 20),
  );
}
