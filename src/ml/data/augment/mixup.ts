/**
 * mixup (Zhang, Cisse, Dauphin, Lopez-Paz, "mixup: Beyond Empirical Risk Minimization", ICLR
 * 2018): x~ = lambda x_i + (1 - lambda) x_j, y~ = lambda y_i + (1 - lambda) y_j with
 * lambda ~ Beta(alpha, alpha). As in the paper's reference code, one lambda per batch and j a
 * random permutation of the batch.
 */
import { Rng } from '../../../platform/core/rng';
import { ValidationError } from '../../../platform/errors/domain-error';

/** Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 via Gamma(shape + 1) * U^(1/shape). */
export function sampleGamma(rng: Rng, shape: number): number {
  if (!(shape > 0)) throw new RangeError(`gamma shape must be positive, got ${shape}`);
  if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(1 - rng.float(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = 1 - rng.float();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x / (x + y);
}

/** lambda * a + (1 - lambda) * b, element-wise. */
export function mixPair(a: Float32Array, b: Float32Array, lambda: number): Float32Array {
  if (a.length !== b.length)
    throw new RangeError(`mixPair needs equal lengths, got ${a.length} and ${b.length}`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = lambda * a[i] + (1 - lambda) * b[i];
  return out;
}

export interface MixupResult {
  x: Float32Array[];
  y: Float32Array[];
  lambda: number;
  /** Partner j of each example i. */
  permutation: number[];
}

/** Mixes a batch of inputs `x` with their one-hot (or soft) targets `y`. */
export function mixup(
  x: readonly Float32Array[],
  y: readonly Float32Array[],
  alpha: number,
  rng: Rng,
): MixupResult {
  if (!(alpha > 0)) throw ValidationError.field('mixup.alpha', `must be positive, got ${alpha}`);
  if (x.length !== y.length)
    throw ValidationError.field('mixup', `x has ${x.length} examples, y has ${y.length}`);
  const lambda = sampleBeta(rng, alpha, alpha);
  const permutation = rng.shuffle(x.map((_, i) => i));
  return {
    x: x.map((xi, i) => mixPair(xi, x[permutation[i]], lambda)),
    y: y.map((yi, i) => mixPair(yi, y[permutation[i]], lambda)),
    lambda,
    permutation,
  };
}
