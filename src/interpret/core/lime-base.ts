import { UnprocessableError, ValidationError } from '../../platform/errors/domain-error';
import { predictRow, ridgeFromGram, ridgeScore, weightedGram, type WeightedGram } from './linalg';
import type { FeatureSelection, FeatureWeight } from './types';

/**
 * The input-kind-independent half of LIME (Ribeiro, Singh & Guestrin, KDD 2016), following the
 * reference implementation's `lime_base.LimeBase`: kernel weights from distances, feature
 * selection, then a weighted ridge surrogate (alpha = 1, with intercept) whose coefficients are
 * the explanation and whose weighted R^2 is the local fidelity score.
 */
export interface LocalFit {
  intercept: number;
  features: FeatureWeight[];
  weights: number[];
  contributions: number[];
  score: number;
  localPrediction: number;
}

export const FEATURE_SELECTIONS: readonly FeatureSelection[] = [
  'auto',
  'none',
  'forward_selection',
  'highest_weights',
  'lasso_path',
];

/** LIME's exponential kernel sqrt(exp(-d^2 / width^2)). */
export function exponentialKernel(distance: number, width: number): number {
  return Math.sqrt(Math.exp(-(distance * distance) / (width * width)));
}

export function checkFeatureSelection(
  value: unknown,
  field = 'featureSelection',
): FeatureSelection {
  if (typeof value !== 'string' || !FEATURE_SELECTIONS.includes(value as FeatureSelection)) {
    throw ValidationError.field(
      field,
      `must be one of ${FEATURE_SELECTIONS.join(', ')}, got ${String(value)}`,
    );
  }
  return value as FeatureSelection;
}

/** Greedy forward selection on the weighted R^2 of an unregularised fit (lime_base.forward_selection). */
function forwardSelection(
  data: Float64Array[],
  y: Float64Array,
  w: Float64Array,
  k: number,
  gram: WeightedGram,
): number[] {
  const used: number[] = [];
  const d = data[0].length;
  for (let step = 0; step < Math.min(k, d); step++) {
    let best = -Infinity;
    let bestJ = -1;
    for (let j = 0; j < d; j++) {
      if (used.includes(j)) continue;
      const cols = [...used, j];
      const fit = ridgeFromGram(gram, 0, cols);
      const s = ridgeScore(data, y, w, fit, cols);
      if (s > best) {
        best = s;
        bestJ = j;
      }
    }
    used.push(bestJ);
  }
  return used;
}

/** The k largest |coef_j * x0_j| of a lightly regularised fit (lime_base, 'highest_weights'). */
function highestWeights(data: Float64Array[], k: number, gram: WeightedGram): number[] {
  const fit = ridgeFromGram(gram, 0.01);
  const x0 = data[0];
  return fit.coef
    .map((c, j) => ({ j, v: Math.abs(c * x0[j]) }))
    .sort((a, b) => b.v - a.v || a.j - b.j)
    .slice(0, k)
    .map((e) => e.j);
}

/**
 * Lasso regularisation path on the weighted, centred data (lime_base, 'lasso_path'): the support
 * at the smallest penalty whose support has at most k features. Deviation: the reference uses
 * LARS (exact breakpoints); here cyclic coordinate descent with warm starts runs over a
 * geometric grid of 100 penalties from alpha_max down to alpha_max / 1000 (Friedman et al. 2010).
 */
function lassoPath(data: Float64Array[], y: Float64Array, w: Float64Array, k: number): number[] {
  const n = data.length;
  const d = data[0].length;
  let sw = 0;
  for (let i = 0; i < n; i++) sw += w[i];
  const cols = Array.from({ length: d }, () => new Float64Array(n));
  const r = new Float64Array(n);
  let ybar = 0;
  for (let i = 0; i < n; i++) ybar += (w[i] * y[i]) / sw;
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += (w[i] * data[i][j]) / sw;
    for (let i = 0; i < n; i++) cols[j][i] = (data[i][j] - mean) * Math.sqrt(w[i]);
  }
  for (let i = 0; i < n; i++) r[i] = (y[i] - ybar) * Math.sqrt(w[i]);
  const norms = cols.map((c) => c.reduce((s, v) => s + v * v, 0) / n);
  let alphaMax = 0;
  for (let j = 0; j < d; j++) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += cols[j][i] * r[i];
    alphaMax = Math.max(alphaMax, Math.abs(dot) / n);
  }
  const beta = new Float64Array(d);
  let chosen: number[] = [];
  if (alphaMax === 0) return chosen;
  for (let step = 0; step < 100; step++) {
    const alpha = alphaMax * Math.pow(1e-3, step / 99);
    for (let sweep = 0; sweep < 200; sweep++) {
      let maxDelta = 0;
      for (let j = 0; j < d; j++) {
        if (norms[j] === 0) continue;
        const c = cols[j];
        let rho = 0;
        for (let i = 0; i < n; i++) rho += c[i] * r[i];
        rho = rho / n + norms[j] * beta[j];
        const next = (Math.sign(rho) * Math.max(0, Math.abs(rho) - alpha)) / norms[j];
        const delta = next - beta[j];
        if (delta !== 0) {
          for (let i = 0; i < n; i++) r[i] -= delta * c[i];
          beta[j] = next;
          maxDelta = Math.max(maxDelta, Math.abs(delta));
        }
      }
      if (maxDelta < 1e-7) break;
    }
    const support: number[] = [];
    for (let j = 0; j < d; j++) if (beta[j] !== 0) support.push(j);
    if (support.length > k) break;
    chosen = support;
  }
  return chosen;
}

/** `gram`: the WeightedGram of (data, y, w), when the caller has it already. */
export function selectFeatures(
  data: Float64Array[],
  y: Float64Array,
  w: Float64Array,
  k: number,
  method: FeatureSelection,
  gram?: WeightedGram,
): number[] {
  const d = data[0].length;
  const g = (): WeightedGram => gram ?? weightedGram(data, y, w);
  switch (method) {
    case 'none':
      return Array.from({ length: d }, (_, j) => j);
    case 'forward_selection':
      return forwardSelection(data, y, w, k, g());
    case 'highest_weights':
      return highestWeights(data, k, g());
    case 'lasso_path':
      return lassoPath(data, y, w, k);
    case 'auto':
      return k <= 6 ? forwardSelection(data, y, w, k, g()) : highestWeights(data, k, g());
  }
}

/**
 * Fit the local surrogate. `data` rows are the interpretable representations of the samples
 * (row 0 is the instance), `y` the model's probability of the explained class, `w` the kernel
 * weights.
 */
export function fitLocalModel(
  data: Float64Array[],
  y: Float64Array,
  w: Float64Array,
  numFeatures: number,
  selection: FeatureSelection,
  featureNames: readonly string[],
): LocalFit {
  // One pass over the samples for the selection's fits and the surrogate (linalg.WeightedGram).
  const gram = weightedGram(data, y, w);
  const used = selectFeatures(data, y, w, numFeatures, selection, gram);
  const fit = ridgeFromGram(gram, 1, used);
  const weights = new Array<number>(data[0].length).fill(0);
  used.forEach((j, k) => (weights[j] = fit.coef[k]));
  const features = used
    .map((j, k) => ({ index: j, name: featureNames[j], weight: fit.coef[k] }))
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.index - b.index);
  return {
    intercept: fit.intercept,
    features,
    weights,
    contributions: weights.map((v, j) => v * data[0][j]),
    score: used.length > 0 ? ridgeScore(data, y, w, fit, used) : 0,
    localPrediction: predictRow(fit, data[0], used),
  };
}

/** Validate a positive integer option, naming it in the error. */
export function checkInt(
  name: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw ValidationError.field(name, `must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

export function checkPositive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw ValidationError.field(name, `must be a positive number, got ${value}`);
  }
  return value;
}

/** Index of the largest probability. */
export function argmax(p: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

/** Run `predict` in batches so large perturbation sets do not build one huge tensor. */
export async function predictBatched<I>(
  predict: (batch: I[]) => Promise<number[][]>,
  inputs: I[],
  batchSize: number,
): Promise<number[][]> {
  const out: number[][] = [];
  for (let s = 0; s < inputs.length; s += batchSize) {
    const part = await predict(inputs.slice(s, s + batchSize));
    if (part.length !== Math.min(batchSize, inputs.length - s)) {
      throw new UnprocessableError(
        `predict returned ${part.length} rows for a batch of ${Math.min(batchSize, inputs.length - s)}`,
      );
    }
    for (const row of part) {
      const width = out.length > 0 ? out[0].length : row.length;
      if (
        !Array.isArray(row) ||
        row.length !== width ||
        row.length === 0 ||
        !row.every(Number.isFinite)
      ) {
        throw new UnprocessableError(
          `predict must return ${width > 0 ? width : 'one or more'} finite class probabilities per input`,
        );
      }
      out.push(row);
    }
  }
  return out;
}
