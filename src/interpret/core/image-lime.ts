import { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';
import {
  argmax,
  checkFeatureSelection,
  checkInt,
  checkPositive,
  exponentialKernel,
  fitLocalModel,
  predictBatched,
} from './lime-base';
import { checkImage, slic, type SlicOptions } from './slic';
import type { Explainer, FeatureSelection, ImageExplanation, PredictFn, RgbImage } from './types';

export interface ImageLimeOptions {
  /** Perturbation samples per explanation, the instance included; default 1000. */
  numSamples?: number;
  numFeatures?: number;
  featureSelection?: FeatureSelection;
  /** Kernel width on cosine distance; default 0.25 (LimeImageExplainer's default). */
  kernelWidth?: number;
  /** Colour of hidden superpixels: 'mean' (each superpixel's own mean colour) or an RGB triple in [0, 1]. */
  baseline?: 'mean' | readonly [number, number, number];
  slic?: SlicOptions;
  /** Perturbed images built and predicted at a time; default ~1 MiB of pixels, 16 to 128 images. */
  batchSize?: number;
  seed?: number;
}

/** Per-segment mean colour, the reference's hide_color=None fudged image. */
function meanColours(image: RgbImage, labels: Int32Array, count: number): Float32Array {
  const sums = new Float64Array(count * 4);
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p];
    for (let c = 0; c < 3; c++) sums[l * 4 + c] += image.data[p * 3 + c];
    sums[l * 4 + 3] += 1;
  }
  const out = new Float32Array(count * 3);
  for (let l = 0; l < count; l++)
    for (let c = 0; c < 3; c++) out[l * 3 + c] = sums[l * 4 + c] / Math.max(1, sums[l * 4 + 3]);
  return out;
}

/** Pixel indices grouped by superpixel: pixels of label l are order[start[l] .. start[l + 1]). */
interface SegmentIndex {
  order: Int32Array;
  start: Int32Array;
}

function segmentIndex(labels: Int32Array, count: number): SegmentIndex {
  const start = new Int32Array(count + 1);
  for (let p = 0; p < labels.length; p++) start[labels[p] + 1]++;
  for (let l = 0; l < count; l++) start[l + 1] += start[l];
  const next = start.slice(0, count);
  const order = new Int32Array(labels.length);
  for (let p = 0; p < labels.length; p++) order[next[labels[p]]++] = p;
  return { order, start };
}

/**
 * Default perturbed images per batch: the power of two nearest below 2^18 pixel values (1 MiB),
 * 16 to 128 images; 64 for 28x28 RGB, the cheapest batch of small-cnn in
 * bench/interpret/explain-speed.ts --batch-sizes.
 */
function defaultBatchSize(image: RgbImage): number {
  const fit = 2 ** Math.floor(Math.log2(Math.max(1, 2 ** 18 / (image.width * image.height * 3))));
  return Math.max(16, Math.min(128, fit));
}

/**
 * LIME for images (LimeImageExplainer): superpixels from SLIC (the reference defaults to
 * quickshift), each sample switches every superpixel on or off with probability 1/2, hidden ones
 * are painted with the baseline colour; kernel on cosine distance to the all-on vector. The
 * heatmap gives every pixel its superpixel's weight.
 */
export class ImageLimeExplainer implements Explainer<RgbImage, ImageExplanation> {
  readonly kind = 'image' as const;
  private readonly numSamples: number;
  private readonly numFeatures: number;
  private readonly selection: FeatureSelection;
  private readonly kernelWidth: number;
  private readonly baseline: 'mean' | readonly [number, number, number];
  private readonly slicOptions: SlicOptions;
  private readonly batchSize: number | undefined;
  private readonly rng: Rng;

  constructor(opts: ImageLimeOptions = {}) {
    this.numSamples = checkInt('numSamples', opts.numSamples ?? 1000, 2, 1_000_000);
    this.numFeatures = checkInt('numFeatures', opts.numFeatures ?? 10, 1);
    this.selection = checkFeatureSelection(opts.featureSelection ?? 'auto');
    this.kernelWidth = checkPositive('kernelWidth', opts.kernelWidth ?? 0.25);
    const b = opts.baseline ?? 'mean';
    if (
      b !== 'mean' &&
      !(Array.isArray(b) && b.length === 3 && b.every((v) => Number.isFinite(v)))
    ) {
      throw ValidationError.field(
        'baseline',
        `must be 'mean' or an RGB triple, got ${JSON.stringify(b)}`,
      );
    }
    this.baseline = b;
    this.slicOptions = opts.slic ?? {};
    this.batchSize =
      opts.batchSize === undefined ? undefined : checkInt('batchSize', opts.batchSize, 1);
    this.rng = new Rng(opts.seed ?? 0);
  }

  /**
   * The image with superpixels whose `keep` flag (ArrayLike: 0/1 numbers) is 0 painted with the
   * baseline colour; only the hidden superpixels' pixels are visited.
   */
  private compose(
    image: RgbImage,
    segments: SegmentIndex,
    fill: Float32Array,
    keep: ArrayLike<number>,
  ): RgbImage {
    const data = image.data.slice();
    const { order, start } = segments;
    for (let l = 0; l < start.length - 1; l++) {
      if (keep[l]) continue;
      const src = this.baseline === 'mean' ? l * 3 : 0;
      const r = fill[src];
      const g = fill[src + 1];
      const b = fill[src + 2];
      for (let q = start[l]; q < start[l + 1]; q++) {
        const o = order[q] * 3;
        data[o] = r;
        data[o + 1] = g;
        data[o + 2] = b;
      }
    }
    return { width: image.width, height: image.height, data };
  }

  private fillFor(image: RgbImage, labels: Int32Array, count: number): Float32Array {
    return this.baseline === 'mean'
      ? meanColours(image, labels, count)
      : Float32Array.from(this.baseline);
  }

  async explain(
    instance: RgbImage,
    predict: PredictFn<RgbImage>,
    label?: number,
  ): Promise<ImageExplanation> {
    checkImage(instance, 'instance');
    const { labels, count: d } = slic(instance, this.slicOptions);
    const fill = this.fillFor(instance, labels, d);
    const n = this.numSamples;
    const data: Float64Array[] = [new Float64Array(d).fill(1)];
    const distances = new Float64Array(n);
    /** Draws samples up to (not including) `end`, in order: the RNG sequence of drawing all at once. */
    const sampleUpTo = (end: number): void => {
      for (let i = data.length; i < end; i++) {
        const z = new Float64Array(d);
        let on = 0;
        for (let j = 0; j < d; j++) {
          z[j] = this.rng.float() < 0.5 ? 1 : 0;
          on += z[j];
        }
        data.push(z);
        distances[i] = on === 0 ? 1 : 1 - on / (Math.sqrt(on) * Math.sqrt(d));
      }
    };
    // Compose images batch by batch so at most one batch of perturbed images is alive; batches
    // are large because a model predicts many images at once much faster than a few. A batch's
    // samples are drawn when it is composed, so on inference replicas that work too runs beside
    // the previous batch's prediction (the same draws in the same order: the same samples).
    const segments = segmentIndex(labels, d);
    const batchSize = this.batchSize ?? defaultBatchSize(instance);
    const probs: number[][] = [];
    const composeBatch = (s: number): RgbImage[] => {
      sampleUpTo(Math.min(n, s + batchSize));
      return data.slice(s, s + batchSize).map((z) => this.compose(instance, segments, fill, z));
    };
    // Pipelined: the next batch is composed before the previous answer is awaited, so a predict
    // that runs on worker replicas (predictBatchesAsync) overlaps with this thread's composing.
    // One batch in flight and one being composed: at most two batches of images alive.
    let pending = predictBatched(predict, composeBatch(0), batchSize);
    for (let s = batchSize; s < n; s += batchSize) {
      // Awaited below; a failure while composing must not leave it unhandled meanwhile.
      pending.catch(() => undefined);
      const batch = composeBatch(s);
      for (const row of await pending) probs.push(row);
      pending = predictBatched(predict, batch, batchSize);
    }
    for (const row of await pending) probs.push(row);
    const target = label ?? argmax(probs[0]);
    if (!Number.isInteger(target) || target < 0 || target >= probs[0].length) {
      throw ValidationError.field(
        'label',
        `must be a class index in [0, ${probs[0].length - 1}], got ${target}`,
      );
    }
    const y = Float64Array.from(probs, (p) => p[target]);
    const w = Float64Array.from(distances, (dd) => exponentialKernel(dd, this.kernelWidth));
    const names = Array.from({ length: d }, (_, j) => `superpixel ${j}`);
    const fit = fitLocalModel(data, y, w, Math.min(this.numFeatures, d), this.selection, names);
    const heatmap = Float32Array.from(labels, (l) => fit.weights[l]);
    return {
      kind: 'image',
      label: target,
      probabilities: probs[0],
      numSamples: n,
      featureNames: names,
      width: instance.width,
      height: instance.height,
      segments: labels,
      heatmap,
      ...fit,
    };
  }

  masker(instance: RgbImage, explanation: ImageExplanation): (keep: Uint8Array) => RgbImage {
    const { segments } = explanation;
    const count = explanation.featureNames.length;
    const fill = this.fillFor(instance, segments, count);
    const index = segmentIndex(segments, count);
    return (keep) => this.compose(instance, index, fill, keep);
  }
}
