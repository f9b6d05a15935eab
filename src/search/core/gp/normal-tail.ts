/**
 * Standard normal helpers that stay accurate far in the lower tail, where log EI and log PoF
 * live once the model is confident (Ament et al. 2023, "Unexpected Improvements to Expected
 * Improvement for Bayesian Optimization", section 4.2). For z < -3 everything is written with the
 * Mills ratio R(a) = Phi(-a) / phi(a) by Laplace's continued fraction
 * R(a) = 1 / (a + 1 / (a + 2 / (a + 3 / (a + ...)))), which has no cancellation.
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const TAIL = -3;

export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z - LOG_SQRT_2PI);
}

export function logNormalPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

/** erf by its everywhere-positive series 2/sqrt(pi) e^{-x^2} sum 2^n x^{2n+1} / (2n+1)!! (|x| < 3). */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let k = 1; k < 200; k++) {
    term *= (2 * x * x) / (2 * k + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/**
 * The tail of Laplace's continued fraction, T(a) = 1 / (a + 2 / (a + 3 / (a + ...))), evaluated
 * backwards; R(a) = 1 / (a + T(a)). Enough terms for 1e-15 at a >= 3.
 */
function millsTail(a: number): number {
  let t = 0;
  for (let k = 120; k >= 2; k--) t = k / (a + t);
  return 1 / (a + t);
}

/** Mills ratio Phi(-a) / phi(a) for a >= 3. */
function millsRatio(a: number): number {
  return 1 / (a + millsTail(a));
}

/** Phi(z), the standard normal CDF, with full relative accuracy for negative z. */
export function normalCdf(z: number): number {
  if (z < TAIL) return normalPdf(z) * millsRatio(-z);
  if (z > -TAIL) return 1 - normalPdf(z) * millsRatio(z);
  const e = erfSeries(Math.abs(z) / Math.SQRT2);
  return z >= 0 ? 0.5 * (1 + e) : 0.5 * (1 - e);
}

/** log Phi(z). */
export function logNormalCdf(z: number): number {
  if (z < TAIL) return logNormalPdf(z) + Math.log(millsRatio(-z));
  return Math.log(normalCdf(z));
}

/** d log Phi(z) / dz = phi(z) / Phi(z) (the inverse Mills ratio). */
export function dLogNormalCdf(z: number): number {
  if (z < TAIL) return 1 / millsRatio(-z);
  return normalPdf(z) / normalCdf(z);
}

/**
 * h(z) = log E[max(0, z + N(0, 1))] = log(z Phi(z) + phi(z)), Optuna's standard_logei.
 * For z < -3: z Phi + phi = phi (1 - a R(a)) with a = -z, and 1 - a R = T / (a + T).
 */
export function standardLogEi(z: number): number {
  if (z < TAIL) {
    const a = -z;
    const t = millsTail(a);
    return logNormalPdf(z) + Math.log(t / (a + t));
  }
  return Math.log(z * normalCdf(z) + normalPdf(z));
}

/** h'(z) = Phi(z) / (z Phi(z) + phi(z)); in the tail R / (1 - a R) = 1 / T. */
export function dStandardLogEi(z: number): number {
  if (z < TAIL) return 1 / millsTail(-z);
  const cdf = normalCdf(z);
  return cdf / (z * cdf + normalPdf(z));
}
