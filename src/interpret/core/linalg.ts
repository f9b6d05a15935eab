/**
 * Small dense linear algebra for the local surrogate models: weighted ridge regression in closed
 * form and weighted R^2. Matrices are arrays of rows.
 */

/** Solve A x = b for symmetric positive (semi)definite A by Gaussian elimination with pivoting. */
export function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[piv][col])) piv = r;
    [m[col], m[piv]] = [m[piv], m[col]];
    const p = m[col][col];
    if (Math.abs(p) < 1e-12) {
      // Singular direction (e.g. a constant column with alpha = 0): pin it to zero.
      m[col].fill(0);
      m[col][col] = 1;
      continue;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r][col] / p;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) m[r][c] -= f * m[col][c];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}

export interface RidgeFit {
  coef: number[];
  intercept: number;
}

/**
 * The weighted, centred normal equations of a data set: xbar and ybar the weighted means,
 * `a` = Xc' W Xc (row-major, d x d) and `b` = Xc' W yc. Every ridge fit on any subset of the
 * columns reads its system from here (the centred products of a column pair do not depend on the
 * other columns), so LIME's feature selection and final fit pass over the samples once.
 */
export interface WeightedGram {
  d: number;
  xbar: Float64Array;
  ybar: number;
  a: Float64Array;
  b: Float64Array;
}

/** The WeightedGram of `x` (restricted to `columns` when given), `y` and weights `w`. */
export function weightedGram(
  x: readonly ArrayLike<number>[],
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  columns?: readonly number[],
): WeightedGram {
  const cols = columns ?? Array.from({ length: x.length > 0 ? x[0].length : 0 }, (_, j) => j);
  const n = x.length;
  const d = cols.length;
  let sw = 0;
  let ybar = 0;
  const xbar = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    sw += w[i];
    ybar += w[i] * y[i];
    const row = x[i];
    for (let j = 0; j < d; j++) xbar[j] += w[i] * row[cols[j]];
  }
  if (!(sw > 0)) throw new RangeError('sample weights must have a positive sum');
  ybar /= sw;
  for (let j = 0; j < d; j++) xbar[j] /= sw;
  const a = new Float64Array(d * d);
  const b = new Float64Array(d);
  const xc = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    if (wi === 0) continue;
    const row = x[i];
    for (let j = 0; j < d; j++) xc[j] = row[cols[j]] - xbar[j];
    const yc = y[i] - ybar;
    for (let j = 0; j < d; j++) {
      const wx = wi * xc[j];
      b[j] += wx * yc;
      const o = j * d;
      for (let k = j; k < d; k++) a[o + k] += wx * xc[k];
    }
  }
  for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) a[j * d + k] = a[k * d + j];
  return { d, xbar, ybar, a, b };
}

/**
 * Ridge fit (penalty `alpha` on the coefficients, not the intercept) on the columns `subset` of
 * a WeightedGram (all of them by default): solve (A_SS + alpha I) beta = b_S,
 * intercept = ybar - xbar_S' beta.
 */
export function ridgeFromGram(
  g: WeightedGram,
  alpha: number,
  subset?: readonly number[],
): RidgeFit {
  if (!(alpha >= 0)) throw new RangeError(`alpha must be >= 0, got ${alpha}`);
  const idx = subset ?? Array.from({ length: g.d }, (_, j) => j);
  const d = idx.length;
  const a = idx.map((j) => idx.map((k) => g.a[j * g.d + k]));
  for (let j = 0; j < d; j++) a[j][j] += alpha;
  const coef =
    d > 0
      ? solve(
          a,
          Array.from(idx, (j) => g.b[j]),
        )
      : [];
  let intercept = g.ybar;
  for (let j = 0; j < d; j++) intercept -= coef[j] * g.xbar[idx[j]];
  return { coef, intercept };
}

/**
 * Weighted ridge regression with an unpenalised intercept, as scikit-learn's
 * Ridge(alpha, fit_intercept=True).fit(X, y, sample_weight=w): centre X and y on their weighted
 * means, solve (Xc' W Xc + alpha I) beta = Xc' W yc, intercept = ybar - xbar' beta.
 * `columns` restricts the fit to a subset of X's columns.
 */
export function weightedRidge(
  x: readonly ArrayLike<number>[],
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  alpha: number,
  columns?: readonly number[],
): RidgeFit {
  if (!(alpha >= 0)) throw new RangeError(`alpha must be >= 0, got ${alpha}`);
  return ridgeFromGram(weightedGram(x, y, w, columns), alpha);
}

/** Prediction of a ridge fit on one row (restricted to `columns` when given). */
export function predictRow(
  fit: RidgeFit,
  row: ArrayLike<number>,
  columns?: readonly number[],
): number {
  let s = fit.intercept;
  for (let j = 0; j < fit.coef.length; j++) s += fit.coef[j] * row[columns ? columns[j] : j];
  return s;
}

/** Weighted coefficient of determination, as scikit-learn's r2_score with sample_weight. */
export function weightedR2(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  w: ArrayLike<number>,
): number {
  let sw = 0;
  let mean = 0;
  for (let i = 0; i < yTrue.length; i++) {
    sw += w[i];
    mean += w[i] * yTrue[i];
  }
  mean /= sw;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < yTrue.length; i++) {
    ssRes += w[i] * (yTrue[i] - yPred[i]) ** 2;
    ssTot += w[i] * (yTrue[i] - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

/** Weighted R^2 of a ridge fit on its own data. */
export function ridgeScore(
  x: readonly ArrayLike<number>[],
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  fit: RidgeFit,
  columns?: readonly number[],
): number {
  const pred = x.map((row) => predictRow(fit, row, columns));
  return weightedR2(y, pred, w);
}
