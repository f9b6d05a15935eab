/**
 * Lazy conversion of a Dataset to TF.js tensors, one batch at a time, so 60000 images never sit
 * in one tensor. Augmentation runs on the Float32 arrays before the tensors are made, so it leaks
 * nothing; the caller disposes each batch's x and y (or wraps the step in tf.tidy).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';
import { Dataset } from './dataset';
import { EdaAugmenter } from './augment/eda';
import { ImageAugmenter } from './augment/image-augment';
import { mixup } from './augment/mixup';
import { Vocabulary } from './vocabulary';

export interface BatchOptions {
  batchSize: number;
  /** `onehot` (float32 [b, classes], default) or `sparse` (int32 [b]). */
  targets?: 'onehot' | 'sparse';
  /** Shuffle the order with this seed (per call: pass a different seed or Rng per epoch). */
  shuffle?: number | Rng;
  /** Drop a last, smaller batch. */
  dropRemainder?: boolean;
  /** Image augmentation per example. */
  augment?: ImageAugmenter;
  /** mixup with Beta(alpha, alpha) per batch; needs one-hot targets. */
  mixupAlpha?: number;
  /** Text augmentation per example. */
  textAugment?: EdaAugmenter;
  /** Randomness for augmentation and mixup (default a fixed seed 0 stream). */
  rng?: Rng;
  /** Text sets: the vocabulary and padded length of the int32 [b, length] input. */
  vocabulary?: Vocabulary;
  sequenceLength?: number;
}

export interface Batch {
  x: tf.Tensor;
  y: tf.Tensor;
  /** Dataset indices of the examples, in batch order. */
  indices: number[];
}

export function batchCount(size: number, batchSize: number, dropRemainder = false): number {
  return dropRemainder ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

export function* batches(ds: Dataset, options: BatchOptions): Generator<Batch> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw ValidationError.field('batchSize', `must be a positive integer, got ${batchSize}`);
  const targets = options.targets ?? 'onehot';
  if (options.mixupAlpha !== undefined && targets !== 'onehot')
    throw ValidationError.field('mixupAlpha', 'mixup needs one-hot targets');
  if (options.augment !== undefined && ds.inputs.kind !== 'image')
    throw ValidationError.field('augment', 'image augmentation needs an image data set');
  if (options.textAugment !== undefined && ds.inputs.kind !== 'text')
    throw ValidationError.field('textAugment', 'EDA needs a text data set');
  if (
    ds.inputs.kind === 'text' &&
    (options.vocabulary === undefined || options.sequenceLength === undefined)
  ) {
    throw ValidationError.field(
      'vocabulary',
      'text data sets need a vocabulary and a sequenceLength',
    );
  }
  const rng = options.rng ?? new Rng(0);
  let order = Array.from({ length: ds.size }, (_, i) => i);
  if (options.shuffle !== undefined)
    order = (
      typeof options.shuffle === 'number' ? new Rng(options.shuffle) : options.shuffle
    ).shuffle(order);
  const count = batchCount(ds.size, batchSize, options.dropRemainder);
  for (let b = 0; b < count; b++) {
    const indices = order.slice(b * batchSize, (b + 1) * batchSize);
    yield makeBatch(ds, indices, targets, options, rng);
  }
}

function makeBatch(
  ds: Dataset,
  indices: number[],
  targets: 'onehot' | 'sparse',
  options: BatchOptions,
  rng: Rng,
): Batch {
  const n = indices.length;
  const k = ds.numClasses;
  const inputs = ds.inputs;
  let xs: Float32Array[] | undefined;
  let xShape: number[];
  let textIds: Int32Array | undefined;
  switch (inputs.kind) {
    case 'image': {
      const { shape } = inputs;
      xs = indices.map((i) =>
        options.augment ? options.augment.apply(inputs.pixels[i], shape, rng) : inputs.pixels[i],
      );
      xShape = [n, shape.height, shape.width, shape.channels];
      break;
    }
    case 'tabular':
      xs = indices.map((i) => Float32Array.from(inputs.rows[i]));
      xShape = [n, inputs.featureNames.length];
      break;
    case 'text': {
      const len = options.sequenceLength as number;
      const vocab = options.vocabulary as Vocabulary;
      textIds = new Int32Array(n * len);
      indices.forEach((i, r) => {
        const text = options.textAugment
          ? options.textAugment.augment(inputs.texts[i], rng)
          : inputs.texts[i];
        textIds?.set(vocab.encode(text, len), r * len);
      });
      xShape = [n, len];
      break;
    }
  }
  let ys: Float32Array[] | undefined;
  if (targets === 'onehot') {
    ys = indices.map((i) => {
      const row = new Float32Array(k);
      row[ds.labels[i]] = 1;
      return row;
    });
    if (options.mixupAlpha !== undefined && xs !== undefined) {
      const mixed = mixup(xs, ys, options.mixupAlpha, rng);
      xs = mixed.x;
      ys = mixed.y;
    }
  }
  const x =
    textIds !== undefined
      ? tf.tensor(textIds, xShape, 'int32')
      : tf.tensor(concat(xs ?? [], n), xShape, 'float32');
  const y =
    ys !== undefined
      ? tf.tensor2d(concat(ys, n), [n, k])
      : tf.tensor1d(Int32Array.from(indices.map((i) => ds.labels[i])), 'int32');
  return { x, y, indices };
}

function concat(parts: readonly Float32Array[], n: number): Float32Array {
  const len = n === 0 ? 0 : parts[0].length;
  const out = new Float32Array(n * len);
  parts.forEach((p, i) => out.set(p, i * len));
  return out;
}
