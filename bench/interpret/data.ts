/** Small packaged data sets and tiny TF.js models for the interpret benchmarks. */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Rng } from '../../src/platform/core/rng';
import type { PredictFn, RgbImage } from '../../src/interpret/core/types';
import { tokenize } from '../../src/interpret/core/text-lime';

const SKLEARN = '/usr/lib/python3/dist-packages/sklearn/datasets/data';

export interface Table {
  x: number[][];
  y: number[];
  featureNames: string[];
  classNames: string[];
}

/** Breast cancer Wisconsin (Debian python3-sklearn CSV), features standardised. */
export function breastCancer(): Table {
  const lines = readFileSync(`${SKLEARN}/breast_cancer.csv`, 'utf8').trim().split('\n').slice(1);
  const rows = lines.map((l) => l.split(',').map(Number));
  const raw = rows.map((r) => r.slice(0, 30));
  const mean = raw[0].map((_, j) => raw.reduce((s, r) => s + r[j], 0) / raw.length);
  const std = raw[0].map((_, j) =>
    Math.sqrt(raw.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / raw.length),
  );
  const names = [
    'radius',
    'texture',
    'perimeter',
    'area',
    'smoothness',
    'compactness',
    'concavity',
    'concave_pts',
    'symmetry',
    'fractal_dim',
  ];
  const featureNames = ['mean', 'se', 'worst'].flatMap((p) => names.map((n) => `${p}_${n}`));
  return {
    x: raw.map((r) => r.map((v, j) => (v - mean[j]) / std[j])),
    y: rows.map((r) => r[30]),
    featureNames,
    classNames: ['malignant', 'benign'],
  };
}

/** UCI optical digits 8x8 (Debian python3-sklearn CSV), pixels scaled to [0, 1]. */
export function digits(): Table {
  const rows = gunzipSync(readFileSync(`${SKLEARN}/digits.csv.gz`))
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(',').map(Number));
  return {
    x: rows.map((r) => r.slice(0, 64).map((v) => v / 16)),
    y: rows.map((r) => r[64]),
    featureNames: Array.from({ length: 64 }, (_, j) => `px${j}`),
    classNames: Array.from({ length: 10 }, (_, c) => String(c)),
  };
}

/** A digit as a 32x32 RGB image (nearest-neighbour x4, grey replicated). */
export function digitImage(row: readonly number[]): RgbImage {
  const data = new Float32Array(32 * 32 * 3);
  for (let y = 0; y < 32; y++)
    for (let x = 0; x < 32; x++)
      data.fill(
        row[Math.floor(y / 4) * 8 + Math.floor(x / 4)],
        (y * 32 + x) * 3,
        (y * 32 + x) * 3 + 3,
      );
  return { width: 32, height: 32, data };
}

const NEUTRAL =
  'the a room staff food hotel view bed breakfast night stay location price service table window door street city car train bus lobby floor wall coffee tea water menu dinner lunch evening morning day week place area town beach pool garden bar music chair desk lamp towel shower sink key card map phone wifi parking'.split(
    ' ',
  );
const POSITIVE = ['great', 'lovely', 'clean', 'friendly', 'excellent'];
const NEGATIVE = ['dirty', 'rude', 'noisy', 'awful', 'broken'];
export const VOCAB = [...NEUTRAL, ...POSITIVE, ...NEGATIVE];

/** Synthetic reviews: 12-20 neutral words plus sentiment words; label 1 = more positive than negative. */
export function reviews(n: number, seed: number): { texts: string[]; y: number[] } {
  const rng = new Rng(seed);
  const texts: string[] = [];
  const y: number[] = [];
  while (texts.length < n) {
    const words = Array.from({ length: rng.int(12, 20) }, () => rng.choice(NEUTRAL));
    const pos = rng.int(0, 3);
    const neg = rng.int(0, 3);
    if (pos === neg) continue;
    for (let i = 0; i < pos; i++) words.splice(rng.int(0, words.length), 0, rng.choice(POSITIVE));
    for (let i = 0; i < neg; i++) words.splice(rng.int(0, words.length), 0, rng.choice(NEGATIVE));
    texts.push(words.join(' '));
    y.push(pos > neg ? 1 : 0);
  }
  return { texts, y };
}

export function bagOfWords(text: string): number[] {
  const v = new Array<number>(VOCAB.length).fill(0);
  const { tokens, isWord } = tokenize(text);
  tokens.forEach((t, i) => {
    const j = isWord[i] ? VOCAB.indexOf(t) : -1;
    if (j >= 0) v[j] += 1;
  });
  return v;
}

/** Dense softmax classifier (optionally one hidden ReLU layer) producing logits. */
export function mlp(inputs: number, hidden: number, classes: number, seed: number): tf.Sequential {
  const m = tf.sequential();
  if (hidden > 0)
    m.add(
      tf.layers.dense({
        inputShape: [inputs],
        units: hidden,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
      }),
    );
  m.add(
    tf.layers.dense({
      inputShape: hidden > 0 ? undefined : [inputs],
      units: classes,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    }),
  );
  m.compile({
    optimizer: tf.train.adam(0.01),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
  return m;
}

export interface EpochLogits {
  logits: number[][];
}

/** Train with seeded shuffling; `onEpoch` gets the logits of the whole training set after each epoch. */
export async function train(
  model: tf.Sequential,
  x: number[][],
  y: number[],
  classes: number,
  epochs: number,
  seed: number,
  onEpoch?: (epoch: number, logits: number[][]) => void,
): Promise<void> {
  const rng = new Rng(seed);
  const xt = tf.tensor2d(x);
  for (let e = 0; e < epochs; e++) {
    const order = rng.shuffle(x.map((_, i) => i));
    const xs = tf.tensor2d(order.map((i) => x[i]));
    const ys = tf.oneHot(
      tf.tensor1d(
        order.map((i) => y[i]),
        'int32',
      ),
      classes,
    );
    await model.fit(xs, ys, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
    xs.dispose();
    ys.dispose();
    if (onEpoch) {
      const out = model.predict(xt) as tf.Tensor;
      onEpoch(e, (await out.array()) as number[][]);
      out.dispose();
    }
  }
  xt.dispose();
}

/** Wrap a logits model as a probability PredictFn over feature rows. */
export function probabilities(model: tf.Sequential): PredictFn<number[]> {
  return async (batch) => {
    const out = tf.tidy(() => tf.softmax(model.predict(tf.tensor2d(batch)) as tf.Tensor2D));
    const rows = (await out.array()) as number[][];
    out.dispose();
    return rows;
  };
}

/** Counts the wall time spent inside a PredictFn. */
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
