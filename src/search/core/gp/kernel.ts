/**
 * Matern 5/2 kernel with automatic relevance determination, as Optuna 4's GPSampler
 * (optuna/_gp/gp.py): k(x, x') = s (1 + sqrt(5) r + 5/3 r^2) exp(-sqrt(5) r) with
 * r^2 = sum_d lambda_d delta_d, lambda_d the inverse squared lengthscale of dimension d and
 * delta_d = (x_d - x'_d)^2 on numeric dimensions (in the unit cube), or [x_d != x'_d] on
 * categorical ones (a Hamming distance on the choice index: every two choices are equally far).
 */

export interface KernelParams {
  /** lambda_d = 1 / lengthscale_d^2, one per input dimension. */
  inverseSquaredLengthscales: Float64Array;
  /** Signal variance s. */
  kernelScale: number;
  /** Observation noise variance (added on the diagonal). */
  noiseVar: number;
}

/** Per-dimension squared distance delta_d. */
export function deltaSquared(a: number, b: number, categorical: boolean): number {
  if (categorical) return a === b ? 0 : 1;
  const d = a - b;
  return d * d;
}

/** r^2 between two points. */
export function scaledSquaredDistance(
  x1: ArrayLike<number>,
  x2: ArrayLike<number>,
  lambda: Float64Array,
  isCategorical: readonly boolean[],
): number {
  let r2 = 0;
  for (let d = 0; d < lambda.length; d++)
    r2 += lambda[d] * deltaSquared(x1[d], x2[d], isCategorical[d]);
  return r2;
}

/** The unit-variance Matern 5/2 correlation as a function of r^2. */
export function matern52(r2: number): number {
  const sqrt5r = Math.sqrt(5 * r2);
  return (1 + sqrt5r + (5 / 3) * r2) * Math.exp(-sqrt5r);
}

/** d matern52 / d(r^2) = -5/6 (1 + sqrt(5) r) exp(-sqrt(5) r): smooth at r = 0. */
export function matern52Derivative(r2: number): number {
  const sqrt5r = Math.sqrt(5 * r2);
  return (-5 / 6) * (1 + sqrt5r) * Math.exp(-sqrt5r);
}

/** The n x n covariance of the rows of X (row-major, n x dim), without the noise term. */
export function covarianceMatrix(
  x: readonly Float64Array[],
  params: KernelParams,
  isCategorical: readonly boolean[],
): Float64Array {
  const n = x.length;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    k[i * n + i] = params.kernelScale;
    for (let j = 0; j < i; j++) {
      const v =
        params.kernelScale *
        matern52(
          scaledSquaredDistance(x[i], x[j], params.inverseSquaredLengthscales, isCategorical),
        );
      k[i * n + j] = v;
      k[j * n + i] = v;
    }
  }
  return k;
}
