/**
 * CCVR as a federation option (`classifierCalibration: 'ccvr'`): the settings the bench chose
 * (docs/collab.md, "Classifier calibration at the coordinator, measured") and the wire format of
 * one site's per-class feature statistics (core/classifier-calibration.ts `classFeatureStats`).
 *
 * Wire format (float32, little-endian when carried as bytes): the k class counts, then for every
 * class with a count > 0, in class order, its mean (d values) and the upper triangle of its
 * covariance, row by row (i <= j: d (d + 1) / 2 values). No row of features, no label of a row:
 * only counts and the first two moments of each class.
 */
import {
  HEAD_CALIBRATION_DEFAULTS,
  type ClassFeatureStats,
  type VirtualCalibrationSettings,
} from './classifier-calibration';

export const CLASSIFIER_CALIBRATIONS = ['ccvr'] as const;
export type ClassifierCalibration = (typeof CLASSIFIER_CALIBRATIONS)[number];

/**
 * The bench's winner, fixed a priori (never tuned on a test split): full covariance (the diagonal
 * recovered half as much: +1.82 against +3.67 points), 200 virtual features per class, and the
 * head re-trained for 10 epochs of SGD, momentum 0.9, step 0.01, batch 32, weight decay 5e-4.
 */
export const CCVR_SETTINGS: VirtualCalibrationSettings = {
  virtualPerClass: 200,
  covariance: 'full',
  head: { ...HEAD_CALIBRATION_DEFAULTS, sampling: 'shuffle' },
};

/** Floats of the moments (means and upper triangles) of `present` classes of dimension d. */
export function momentFloats(present: number, dim: number): number {
  return present * (dim + (dim * (dim + 1)) / 2);
}

/** The floats a site sends for its statistics: k counts and the moments of the classes present. */
export function encodeClassStats(stats: readonly ClassFeatureStats[]): Float32Array {
  const k = stats.length;
  const d = stats[0]?.mean.length ?? 0;
  const present = stats.filter((s) => s.count > 0);
  const out = new Float32Array(k + momentFloats(present.length, d));
  stats.forEach((s, c) => (out[c] = s.count));
  let o = k;
  for (const s of present) {
    out.set(s.mean, o);
    o += d;
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) out[o++] = s.covariance[i * d + j];
  }
  return out;
}

/**
 * Why `counts` and `moments` are not one site's statistics for k classes of dimension d (null:
 * they are): the counts must be k whole numbers >= 0, the moments exactly the means and upper
 * triangles of the classes with a count, every value finite, every variance >= 0.
 */
export function classStatsProblem(
  counts: ArrayLike<number>,
  moments: ArrayLike<number>,
  numClasses: number,
  dim: number,
): string | null {
  if (counts.length !== numClasses)
    return `counts: ${counts.length} values, the federation has ${numClasses} classes`;
  let present = 0;
  for (let c = 0; c < numClasses; c++) {
    const n = counts[c];
    if (!(Number.isInteger(n) && n >= 0 && n <= 2 ** 24))
      return `counts[${c}] must be a whole number of examples, got ${n}`;
    if (n > 0) present++;
  }
  const expected = momentFloats(present, dim);
  if (moments.length !== expected)
    return `moments: ${moments.length} values, ${present} classes of ${dim} features need ${expected} (means and covariance upper triangles)`;
  for (let i = 0; i < moments.length; i++)
    if (!Number.isFinite(moments[i])) return `moments[${i}] is not finite`;
  const per = dim + (dim * (dim + 1)) / 2;
  for (let p = 0; p < present; p++) {
    let o = p * per + dim;
    for (let i = 0; i < dim; i++) {
      if (moments[o] < 0) return `class ${p} of those present: a negative variance`;
      o += dim - i;
    }
  }
  return null;
}

/** The inverse of encodeClassStats (float64 statistics; the covariance symmetric again). */
export function decodeClassStats(
  floats: ArrayLike<number>,
  numClasses: number,
  dim: number,
): ClassFeatureStats[] {
  const counts = Array.from({ length: numClasses }, (_, c) => floats[c]);
  const moments = Array.prototype.slice.call(floats, numClasses) as number[];
  const problem = classStatsProblem(counts, moments, numClasses, dim);
  if (problem) throw new RangeError(problem);
  let o = 0;
  return counts.map((count) => {
    const mean = new Float64Array(dim);
    const covariance = new Float64Array(dim * dim);
    if (count > 0) {
      for (let i = 0; i < dim; i++) mean[i] = moments[o++];
      for (let i = 0; i < dim; i++)
        for (let j = i; j < dim; j++) {
          const v = moments[o++];
          covariance[i * dim + j] = v;
          covariance[j * dim + i] = v;
        }
    }
    return { count, mean, covariance };
  });
}
