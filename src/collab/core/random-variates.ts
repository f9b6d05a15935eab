/**
 * Gamma, Beta and Dirichlet variates on the platform's seeded Rng (mixup's lambda, Dirichlet label
 * skew). Gamma: Marsaglia & Tsang, "A Simple Method for Generating Gamma Variables", ACM TOMS 2000,
 * with the boost G(a) = G(a + 1) * U^(1/a) for a < 1 (same paper, section 6).
 */
import type { Rng } from '../../platform/core/rng';

export function sampleGamma(rng: Rng, shape: number): number {
  if (!(Number.isFinite(shape) && shape > 0))
    throw new RangeError(`gamma shape must be > 0, got ${shape}`);
  if (shape < 1) {
    const u = 1 - rng.float(); // (0, 1]
    return sampleGamma(rng, shape + 1) * u ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x = 0;
    let v = 0;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.float();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) as X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

/** Dirichlet(alpha, ..., alpha) of dimension k, as normalised Gamma(alpha) draws. */
export function sampleSymmetricDirichlet(rng: Rng, alpha: number, k: number): number[] {
  const g = Array.from({ length: k }, () => sampleGamma(rng, alpha));
  const total = g.reduce((a, b) => a + b, 0);
  return total > 0 ? g.map((v) => v / total) : g.map(() => 1 / k);
}
