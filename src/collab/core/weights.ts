/**
 * A model's weights as the coordinator sees them: one flat Float32Array per weight tensor, in the
 * model's weight order. Averaging, norms and metering work on these plain arrays, so the
 * coordinator never needs the model (nor a TF.js backend) to combine site updates.
 */
import { ValidationError } from '../../platform/errors/domain-error';

export type WeightSet = readonly Float32Array[];

/** Bytes a weight set takes on the wire (float32). */
export function weightBytes(weights: WeightSet): number {
  let n = 0;
  for (const w of weights) n += w.byteLength;
  return n;
}

/** True when both sets have the same tensor count and the same length per tensor (any arrays). */
export function sameShape(
  a: readonly ArrayLike<number>[],
  b: readonly ArrayLike<number>[],
): boolean {
  return a.length === b.length && a.every((w, i) => w.length === b[i].length);
}

/** True when every value is finite (no NaN, no +-Infinity). */
export function allFinite(weights: WeightSet): boolean {
  for (const w of weights)
    for (let i = 0; i < w.length; i++) if (!Number.isFinite(w[i])) return false;
  return true;
}

/** Euclidean norm of the whole set (accumulated in float64). */
export function l2Norm(weights: WeightSet): number {
  let s = 0;
  for (const w of weights) for (let i = 0; i < w.length; i++) s += w[i] * w[i];
  return Math.sqrt(s);
}

/** Element-wise a - b (same shapes). */
export function subtract(a: WeightSet, b: WeightSet): Float32Array[] {
  return a.map((w, t) => {
    const out = new Float32Array(w.length);
    const v = b[t];
    for (let i = 0; i < w.length; i++) out[i] = w[i] - v[i];
    return out;
  });
}

/** Element-wise a + scale * b (same shapes). */
export function addScaled(a: WeightSet, b: WeightSet, scale: number): Float32Array[] {
  return a.map((w, t) => {
    const out = new Float32Array(w.length);
    const v = b[t];
    for (let i = 0; i < w.length; i++) out[i] = w[i] + scale * v[i];
    return out;
  });
}

/**
 * sum_k c_k w_k / sum_k c_k with non-negative coefficients (sample counts for FedAvg), accumulated
 * in float64 so that the order of the sites does not change the result beyond float32 rounding.
 */
export function weightedAverage(
  sets: readonly WeightSet[],
  coefficients: readonly number[],
): Float32Array[] {
  if (sets.length === 0) throw ValidationError.field('updates', 'needs at least one weight set');
  if (coefficients.length !== sets.length)
    throw ValidationError.field(
      'coefficients',
      `needs ${sets.length} values, got ${coefficients.length}`,
    );
  let total = 0;
  for (const c of coefficients) {
    if (!(Number.isFinite(c) && c >= 0))
      throw ValidationError.field('coefficients', `must be >= 0, got ${c}`);
    total += c;
  }
  if (!(total > 0)) throw ValidationError.field('coefficients', 'must not all be zero');
  const first = sets[0];
  for (const s of sets)
    if (!sameShape(s, first)) throw ValidationError.field('updates', 'weight sets differ in shape');
  return first.map((w, t) => {
    const acc = new Float64Array(w.length);
    sets.forEach((s, k) => {
      const v = s[t];
      const c = coefficients[k] / total;
      for (let i = 0; i < v.length; i++) acc[i] += c * v[i];
    });
    return Float32Array.from(acc);
  });
}
