/**
 * A simplex equiangular tight frame (ETF) as a fixed classifier head: the geometry the classes'
 * weight vectors converge to at the end of training ("neural collapse", Papyan, Han & Donoho,
 * PNAS 2020, Definition 1), fixed from the start instead of learnt. Fixing it helps when the
 * label distribution is skewed (Yang, Chen, Li, Xie, Lin & Tao, "Inducing Neural Collapse in
 * Imbalanced Learning", NeurIPS 2022) and in federations of label-skewed sites, where every site
 * then pulls its features towards one shared, balanced set of class directions (Li, Shang, He,
 * Lin & Wu, "No Fear of Classifier Biases: Neural Collapse Inspired Federated Learning with
 * Synthetic and Fixed Classifier", ICCV 2023, FedETF, eq. 1):
 *   W = sqrt(K / (K - 1)) U (I_K - 1/K 1 1^T),   U in R^{d x K}, U^T U = I_K
 * so every column has norm 1, any two columns have inner product -1/(K - 1), and the columns sum
 * to zero. U is the Gram-Schmidt orthonormalisation of a seeded Gaussian d x K matrix.
 */
import { Rng } from '../../platform/core/rng';

/**
 * The ETF as a dense layer's kernel: `dim` x `classes`, row-major (TF.js' [inputs, units]
 * layout), column k the class k weight vector. Needs dim >= classes >= 2.
 */
export function simplexEtf(dim: number, classes: number, seed: number): Float32Array {
  if (!Number.isInteger(classes) || classes < 2)
    throw new RangeError(`a simplex ETF needs at least 2 classes, got ${classes}`);
  if (!Number.isInteger(dim) || dim < classes)
    throw new RangeError(
      `a simplex ETF of ${classes} classes needs >= ${classes} dimensions, got ${dim}`,
    );
  const u = orthonormalColumns(dim, classes, new Rng(seed));
  const scale = Math.sqrt(classes / (classes - 1));
  const out = new Float32Array(dim * classes);
  for (let i = 0; i < dim; i++) {
    let rowMean = 0;
    for (let k = 0; k < classes; k++) rowMean += u[k][i];
    rowMean /= classes;
    // (U (I - 11^T / K))_{ik} = U_ik - mean_j U_ij
    for (let k = 0; k < classes; k++) out[i * classes + k] = scale * (u[k][i] - rowMean);
  }
  return out;
}

/** `k` orthonormal columns of length `d` (modified Gram-Schmidt, in float64). */
function orthonormalColumns(d: number, k: number, rng: Rng): Float64Array[] {
  const cols: Float64Array[] = [];
  while (cols.length < k) {
    const v = Float64Array.from({ length: d }, () => rng.normal());
    for (const q of cols) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += v[i] * q[i];
      for (let i = 0; i < d; i++) v[i] -= dot * q[i];
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    // A draw (numerically) inside the span so far is drawn again; with Gaussian draws and d >= k
    // this has probability zero, the guard keeps the result orthonormal anyway.
    if (norm < 1e-8) continue;
    for (let i = 0; i < d; i++) v[i] /= norm;
    cols.push(v);
  }
  return cols;
}
