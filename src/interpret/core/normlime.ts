import type { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';
import { kMeans } from './kmeans';
import { toLab } from './slic';
import type { ImageExplanation, RgbImage } from './types';

/** What NormLIME needs of a local explanation: the explained class and one weight per feature. */
export interface LocalWeights {
  label: number;
  weights: readonly number[];
}

export interface NormLimeResult {
  /** importance[y][j] = I(j, y); a class with no instance has all zeros. */
  importance: number[][];
  /** Number of instances predicted as each class. */
  counts: number[];
  /** Mean of the normalised squared weights over all instances, regardless of class. */
  overall: number[];
}

/**
 * NormLIME (Ahern et al. 2019, eq. 4): I(j, y) = (1 / |X_y|) sum_{x in X_y} w_j(x)^2 / sum_k |w_k(x)|,
 * where X_y are the instances predicted as class y and w(x) is LIME's local weight vector, so
 * every instance contributes on the same scale whatever the magnitude of its surrogate.
 */
export function normLime(
  explanations: readonly LocalWeights[],
  numClasses: number,
  numFeatures: number,
): NormLimeResult {
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw ValidationError.field('numClasses', `must be a positive integer, got ${numClasses}`);
  if (!Number.isInteger(numFeatures) || numFeatures < 1)
    throw ValidationError.field('numFeatures', `must be a positive integer, got ${numFeatures}`);
  const importance = Array.from({ length: numClasses }, () =>
    new Array<number>(numFeatures).fill(0),
  );
  const counts = new Array<number>(numClasses).fill(0);
  const overall = new Array<number>(numFeatures).fill(0);
  explanations.forEach((e, i) => {
    if (!Number.isInteger(e.label) || e.label < 0 || e.label >= numClasses) {
      throw ValidationError.field(
        `explanations[${i}].label`,
        `must be in [0, ${numClasses - 1}], got ${e.label}`,
      );
    }
    if (e.weights.length !== numFeatures) {
      throw ValidationError.field(
        `explanations[${i}].weights`,
        `has ${e.weights.length} entries, expected ${numFeatures}`,
      );
    }
    const norm = e.weights.reduce((s, v) => s + Math.abs(v), 0);
    counts[e.label] += 1;
    if (norm === 0) return;
    e.weights.forEach((w, j) => {
      importance[e.label][j] += (w * w) / norm;
      overall[j] += (w * w) / norm;
    });
  });
  importance.forEach((row, y) => {
    if (counts[y] > 0) for (let j = 0; j < numFeatures; j++) row[j] /= counts[y];
  });
  if (explanations.length > 0)
    for (let j = 0; j < numFeatures; j++) overall[j] /= explanations.length;
  return { importance, counts, overall };
}

/** Feature indices by decreasing importance (ties by index). */
export function rankByImportance(values: readonly number[]): number[] {
  return values
    .map((v, j) => ({ v, j }))
    .sort((a, b) => b.v - a.v || a.j - b.j)
    .map((e) => e.j);
}

/** A descriptor of one superpixel, used to cluster superpixels across images. */
export type SuperpixelDescriber = (
  image: RgbImage,
  segments: Int32Array,
  segment: number,
) => number[];

/**
 * Default superpixel descriptor: mean and standard deviation of CIELAB colour and mean gradient
 * magnitude (texture), for every segment of one image. A caller with a feature extractor (e.g. a
 * CNN layer, as InterpretDL's NormLIME uses) passes its own `describe` instead.
 */
function describeWithLab(image: RgbImage, lab: Float32Array, segments: Int32Array): number[][] {
  const { width: w, height: h } = image;
  let count = 0;
  for (const l of segments) count = Math.max(count, l + 1);
  const acc = Array.from({ length: count }, () => new Array<number>(8).fill(0));
  for (let p = 0; p < w * h; p++) {
    const a = acc[segments[p]];
    const x = p % w;
    const y = Math.floor(p / w);
    let g = 0;
    if (x + 1 < w && y + 1 < h) {
      for (let c = 0; c < 3; c++)
        g +=
          (lab[(p + 1) * 3 + c] - lab[p * 3 + c]) ** 2 +
          (lab[(p + w) * 3 + c] - lab[p * 3 + c]) ** 2;
    }
    for (let c = 0; c < 3; c++) {
      a[c] += lab[p * 3 + c];
      a[3 + c] += lab[p * 3 + c] ** 2;
    }
    a[6] += Math.sqrt(g);
    a[7] += 1;
  }
  return acc.map((a) => {
    const n = Math.max(1, a[7]);
    const mean = [a[0] / n, a[1] / n, a[2] / n];
    const std = [0, 1, 2].map((c) => Math.sqrt(Math.max(0, a[3 + c] / n - mean[c] ** 2)));
    return [...mean, ...std, a[6] / n];
  });
}

export interface ImageNormLimeOptions {
  /** Number of shared superpixel clusters ("concepts"); default 10. */
  numClusters?: number;
  numClasses: number;
  rng: Rng;
  describe?: SuperpixelDescriber;
}

export interface ImageNormLimeResult extends NormLimeResult {
  /** Cluster centre per concept, in (standardised) descriptor space. */
  centres: number[][];
  /** For each image, the cluster of each of its superpixels. */
  clusterOfSegment: number[][];
  /**
   * Per concept, the superpixel closest to its cluster centre (image index, segment label): the
   * concept is shown where it comes from rather than as "concept c" (Ahern et al. 2019, NormLIME,
   * show concepts as image patches).
   */
  exemplars: { image: number; segment: number }[];
}

/**
 * NormLIME for images: superpixels are not shared between images, so each is mapped to one of
 * `numClusters` concepts by k-means (k-means++ seeded) over standardised superpixel descriptors;
 * an image's weight for a concept is the sum of its superpixels' LIME weights in that concept,
 * and NormLIME is then computed over concepts.
 */
export function imageNormLime(
  items: readonly { image: RgbImage; explanation: ImageExplanation }[],
  opts: ImageNormLimeOptions,
): ImageNormLimeResult {
  if (items.length === 0) throw ValidationError.field('items', 'must not be empty');
  const k = opts.numClusters ?? 10;
  const descriptors: number[][] = [];
  const owner: [number, number][] = [];
  items.forEach(({ image, explanation }, i) => {
    const count = explanation.weights.length;
    let rows: number[][];
    if (opts.describe) {
      const describe = opts.describe;
      rows = Array.from({ length: count }, (_, s) => describe(image, explanation.segments, s));
    } else {
      rows = describeWithLab(image, toLab(image), explanation.segments);
    }
    rows.forEach((r, s) => {
      descriptors.push(r);
      owner.push([i, s]);
    });
  });
  const dim = descriptors[0].length;
  const mean = new Array<number>(dim).fill(0);
  const std = new Array<number>(dim).fill(0);
  for (const r of descriptors) r.forEach((v, j) => (mean[j] += v / descriptors.length));
  for (const r of descriptors)
    r.forEach((v, j) => (std[j] += (v - mean[j]) ** 2 / descriptors.length));
  const scaled = descriptors.map((r) => r.map((v, j) => (v - mean[j]) / (Math.sqrt(std[j]) || 1)));
  const km = kMeans(scaled, k, opts.rng);
  const numClusters = km.centres.length;
  const clusterOfSegment = items.map(({ explanation }) =>
    new Array<number>(explanation.weights.length).fill(0),
  );
  owner.forEach(([i, s], p) => (clusterOfSegment[i][s] = km.assignment[p]));
  const best = new Array<number>(numClusters).fill(Infinity);
  const exemplars = Array.from({ length: numClusters }, () => ({ image: 0, segment: 0 }));
  scaled.forEach((r, p) => {
    const c = km.assignment[p];
    const d = r.reduce((sum, v, j) => sum + (v - km.centres[c][j]) ** 2, 0);
    if (d < best[c]) {
      best[c] = d;
      exemplars[c] = { image: owner[p][0], segment: owner[p][1] };
    }
  });
  const local = items.map(({ explanation }, i) => {
    const w = new Array<number>(numClusters).fill(0);
    explanation.weights.forEach((v, s) => (w[clusterOfSegment[i][s]] += v));
    return { label: explanation.label, weights: w };
  });
  return {
    ...normLime(local, opts.numClasses, numClusters),
    centres: km.centres,
    clusterOfSegment,
    exemplars,
  };
}
