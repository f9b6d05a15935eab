/**
 * Data and zoo models for the interpret benchmarks: Fashion-MNIST (Debian dataset-fashion-mnist)
 * for small-cnn, breast cancer (Debian python3-sklearn) for mlp, and synthetic hotel reviews for
 * text-classifier (the SpamAssassin package is not installed on this machine).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/platform/core/rng';
import { Dataset, fewShot, normalisationStats, normalise } from '../../src/ml/data';
import { loadPackagedDataset } from '../../src/ml/data/packaged';
import { Vocabulary } from '../../src/ml/data/vocabulary';
import { buildZooModel, type ZooOptions } from '../../src/ml/zoo/zoo';
import { predictBatches } from '../../src/ml/train/evaluate';
import { trainModel, type TrainOptions } from '../../src/ml/train/trainer';
import type { PredictFn, RgbImage } from '../../src/interpret/core/types';

export interface ImageSet {
  /** One 28x28 grey image per example, values in [0, 1]. */
  pixels: Float32Array[];
  labels: number[];
  classNames: readonly string[];
}

let fashion: Promise<{ train: Dataset; test: Dataset }> | undefined;

function fashionMnist(): Promise<{ train: Dataset; test: Dataset }> {
  fashion ??= loadPackagedDataset('fashion-mnist').then((p) => {
    if (!p.test) throw new Error('fashion-mnist has no test split');
    return { train: p.train, test: p.test };
  });
  return fashion;
}

function imageSet(ds: Dataset): ImageSet {
  if (ds.inputs.kind !== 'image') throw new Error('expected an image data set');
  return { pixels: [...ds.inputs.pixels], labels: [...ds.labels], classNames: ds.classNames };
}

/** A class-balanced seeded subset of Fashion-MNIST: `perClass` images of each class. */
export async function fashionSubset(
  split: 'train' | 'test',
  perClass: number,
  seed: number,
): Promise<ImageSet> {
  const fm = await fashionMnist();
  return imageSet(fewShot(fm[split], perClass, seed));
}

/** Images [n, 28, 28, 1] as one tensor (the caller disposes it). */
export function imageTensor(pixels: readonly Float32Array[]): tf.Tensor4D {
  const flat = new Float32Array(pixels.length * 28 * 28);
  pixels.forEach((p, i) => flat.set(p, i * 28 * 28));
  return tf.tensor4d(flat, [pixels.length, 28, 28, 1]);
}

/** The grey image as the RGB image the image explainer works on (grey replicated). */
export function greyToRgb(grey: Float32Array): RgbImage {
  const data = new Float32Array(grey.length * 3);
  for (let i = 0; i < grey.length; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = grey[i];
  return { width: 28, height: 28, data };
}

/** Softmax rows of `model` on `x`, in batches of 500. */
export async function probabilities(model: tf.LayersModel, x: tf.Tensor): Promise<number[][]> {
  const out = predictBatches(model, x, 500);
  const rows = (await out.array()) as number[][];
  out.dispose();
  return rows;
}

/**
 * A zoo model's PredictFn over RGB images: the channel mean is what the one-channel model sees
 * (as src/interpret/model-registry.adapter.ts does for grey models).
 */
export function imagePredict(model: tf.LayersModel): PredictFn<RgbImage> {
  return async (batch) => {
    const grey = batch.map((img) => {
      const g = new Float32Array(img.width * img.height);
      for (let i = 0; i < g.length; i++)
        g[i] = (img.data[3 * i] + img.data[3 * i + 1] + img.data[3 * i + 2]) / 3;
      return g;
    });
    const x = imageTensor(grey);
    const rows = await probabilities(model, x);
    x.dispose();
    return rows;
  };
}

/** Builds a zoo model and trains it with the project's training loop on (x, integer y). */
export async function trainZoo(
  name: string,
  options: ZooOptions,
  x: tf.Tensor,
  y: readonly number[],
  train: TrainOptions,
): Promise<tf.LayersModel> {
  const model = buildZooModel(name, options);
  const yt = tf.tensor1d([...y], 'int32');
  try {
    await trainModel(model, { x, y: yt }, train);
  } finally {
    yt.dispose();
  }
  return model;
}

export interface Table {
  rows: number[][];
  labels: number[];
  featureNames: string[];
  classNames: string[];
}

/** Breast cancer Wisconsin via the packaged loader, features standardised. */
export async function breastCancer(): Promise<Table> {
  const ds = (await loadPackagedDataset('breast-cancer')).train;
  const std = normalise(ds, normalisationStats(ds));
  if (std.inputs.kind !== 'tabular') throw new Error('expected a tabular data set');
  return {
    rows: std.inputs.rows.map((r) => [...r]),
    labels: [...std.labels],
    featureNames: [...std.inputs.featureNames],
    classNames: [...std.classNames],
  };
}

export function rowPredict(model: tf.LayersModel): PredictFn<number[]> {
  return async (batch) => {
    const x = tf.tensor2d(batch);
    const rows = await probabilities(model, x);
    x.dispose();
    return rows;
  };
}

/*
 * Synthetic hotel reviews. Each review mentions 2-5 aspects; every aspect gets a positive or a
 * negative phrase (some negated: "was not clean" is negative), with neutral filler sentences in
 * between. The label is the majority sentiment of the aspects (ties redrawn), so the evidence is
 * spread over phrases and words like "not" flip it: a realistic shape for a bag-of-embeddings
 * classifier, with a known ground truth.
 */
const ASPECTS: { noun: string[]; good: string[]; bad: string[] }[] = [
  {
    noun: ['the room', 'our room', 'the suite'],
    good: ['was spotless', 'was spacious and bright', 'was clean', 'felt cosy'],
    bad: ['was dirty', 'was cramped', 'smelled of smoke', 'was not clean'],
  },
  {
    noun: ['the staff', 'the receptionist', 'the manager'],
    good: ['were friendly', 'was very helpful', 'was welcoming', 'went out of their way'],
    bad: ['were rude', 'was unhelpful', 'ignored us', 'was not friendly'],
  },
  {
    noun: ['breakfast', 'the buffet', 'dinner at the restaurant'],
    good: ['was delicious', 'was excellent', 'had plenty of choice', 'was fresh'],
    bad: ['was cold', 'was overpriced', 'was bland', 'was not worth it'],
  },
  {
    noun: ['the bed', 'the mattress', 'the pillows'],
    good: ['was comfortable', 'were soft', 'was perfect'],
    bad: ['was uncomfortable', 'was broken', 'were lumpy', 'was not comfortable'],
  },
  {
    noun: ['the location', 'the neighbourhood', 'the view'],
    good: ['was great', 'was convenient', 'was stunning', 'was quiet'],
    bad: ['was noisy', 'was awful', 'felt unsafe', 'was not great'],
  },
  {
    noun: ['the wifi', 'the air conditioning', 'the shower'],
    good: ['worked well', 'was fast', 'was reliable'],
    bad: ['never worked', 'was slow', 'was broken', 'did not work'],
  },
];
const FILLER = [
  'we stayed for three nights in march',
  'we arrived late in the evening',
  'the hotel is near the station',
  'we travelled with two children',
  'parking is available behind the building',
  'check in was at two',
  'we booked through the website',
  'the lift goes to the fifth floor',
  'there is a supermarket across the street',
  'we were there for a conference',
];

export function reviews(n: number, seed: number): { texts: string[]; labels: number[] } {
  const rng = new Rng(seed);
  const texts: string[] = [];
  const labels: number[] = [];
  while (texts.length < n) {
    const aspects = rng.shuffle(ASPECTS).slice(0, rng.int(2, 5));
    let score = 0;
    const sentences: string[] = [];
    for (const a of aspects) {
      const good = rng.float() < 0.5;
      score += good ? 1 : -1;
      sentences.push(`${rng.choice(a.noun)} ${rng.choice(good ? a.good : a.bad)}`);
    }
    if (score === 0) continue;
    for (let f = rng.int(1, 3); f > 0; f--)
      sentences.splice(rng.int(0, sentences.length), 0, rng.choice(FILLER));
    texts.push(sentences.map((s) => s[0].toUpperCase() + s.slice(1)).join('. ') + '.');
    labels.push(score > 0 ? 1 : 0);
  }
  return { texts, labels };
}

export const TEXT_LENGTH = 64;

export function textTensor(vocab: Vocabulary, texts: readonly string[]): tf.Tensor2D {
  const flat = new Int32Array(texts.length * TEXT_LENGTH);
  texts.forEach((t, i) => flat.set(vocab.encode(t, TEXT_LENGTH), i * TEXT_LENGTH));
  return tf.tensor2d(flat, [texts.length, TEXT_LENGTH], 'int32');
}

export function textPredict(model: tf.LayersModel, vocab: Vocabulary): PredictFn<string> {
  return async (batch) => {
    const x = textTensor(vocab, batch);
    const rows = await probabilities(model, x);
    x.dispose();
    return rows;
  };
}

/** Wraps a PredictFn and counts the wall time spent inside it. */
export function timed<I>(predict: PredictFn<I>): {
  predict: PredictFn<I>;
  ms: () => number;
  reset: () => void;
} {
  let total = 0;
  return {
    predict: async (batch) => {
      const t0 = performance.now();
      const r = await predict(batch);
      total += performance.now() - t0;
      return r;
    },
    ms: () => total,
    reset: () => (total = 0),
  };
}

export function meanSd(v: readonly number[]): { mean: number; sd: number } {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, v.length - 1));
  return { mean, sd };
}

export function fmtMeanSd(v: readonly number[], digits = 3): string {
  const { mean, sd } = meanSd(v);
  return `${mean.toFixed(digits)} ± ${sd.toFixed(digits)}`;
}
