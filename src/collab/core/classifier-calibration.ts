/**
 * Classifier calibration at the coordinator: re-training only the last dense layer (the "head",
 * softmax(x W + b) on the penultimate features x) of the global model, every other layer frozen.
 *
 * - cRT (Kang, Xie, Rohrbach, Yan, Gordo, Feng & Kalantidis, "Decoupling Representation and
 *   Classifier for Long-Tailed Recognition", ICLR 2020, sec. 4.2): re-train the classifier on
 *   the features of labelled data with class-balanced sampling (every draw picks a class with
 *   probability 1/C, then one of its examples uniformly; their eq. 1 with q = 0). Here the data is
 *   the federation's shared labelled set, the only labelled data the coordinator holds.
 * - CCVR (Luo, Chen, Hu, Zhang, Liang & Feng, "No Fear of Heterogeneity: Classifier Calibration
 *   for Federated Learning with Non-IID Data", NeurIPS 2021, sec. 4): each site sends, per class,
 *   the count, mean and covariance of its own examples' penultimate features (statistics, not
 *   samples); the coordinator merges them into the global per-class Gaussian (their eqs. 3-4),
 *   samples the same number of virtual features from every class, and re-trains the head on them.
 *
 * The head starts from the aggregated one (CCVR's choice: a calibration, not a new classifier)
 * and is trained by minibatch SGD with momentum (PyTorch's form v <- mu v + g, w <- w - lr v) on
 * the mean softmax cross-entropy, whose gradient is closed-form: dz = (softmax(z) - onehot(y)) / B,
 * dW = x^T dz + wd W, db = sum_r dz_r. Pure arithmetic in float64, seeded; the features come from
 * the model through an adapter (src/collab/head-calibration.ts).
 */
import { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';

/** A dense softmax layer: kernel [dim, k] row-major (TF.js' layout, kernel[i * k + c]), bias [k]. */
export interface LinearHead {
  kernel: Float32Array;
  bias: Float32Array;
}

/** Rows of penultimate features [n, dim] row-major with their class labels. */
export interface LabelledFeatures {
  features: Float32Array;
  labels: ArrayLike<number>;
  dim: number;
}

export interface HeadCalibrationSettings {
  /** Passes of n draws each (n = the examples calibrated on). */
  epochs: number;
  learningRate: number;
  /** SGD momentum mu. */
  momentum: number;
  batchSize: number;
  /** L2 on the kernel (not the bias). */
  weightDecay: number;
  /** `class-balanced` (cRT) or `shuffle` (one permutation per epoch; virtual features are balanced already). */
  sampling: 'class-balanced' | 'shuffle';
}

/**
 * Fixed a priori, not tuned on any test split: Kang et al.'s cRT budget of 10 epochs, SGD with
 * momentum 0.9; a step size of 0.01 (CCVR fine-tunes the existing head with a small one).
 */
export const HEAD_CALIBRATION_DEFAULTS: HeadCalibrationSettings = {
  epochs: 10,
  learningRate: 0.01,
  momentum: 0.9,
  batchSize: 32,
  weightDecay: 5e-4,
  sampling: 'class-balanced',
};

/** Fills the defaults and checks every value (400 naming `field.<name>` on a bad one). */
export function headCalibrationSettings(
  s: Partial<HeadCalibrationSettings>,
  field = 'headCalibration',
): HeadCalibrationSettings {
  const out: HeadCalibrationSettings = { ...HEAD_CALIBRATION_DEFAULTS };
  for (const [k, v] of Object.entries(s)) {
    if (!(k in HEAD_CALIBRATION_DEFAULTS))
      throw ValidationError.field(`${field}.${k}`, 'is not a head calibration setting');
    if (v !== undefined) Object.assign(out, { [k]: v });
  }
  for (const k of ['epochs', 'batchSize'] as const)
    if (!Number.isInteger(out[k]) || out[k] < 1)
      throw ValidationError.field(`${field}.${k}`, `must be a positive integer, got ${out[k]}`);
  if (!(Number.isFinite(out.learningRate) && out.learningRate > 0))
    throw ValidationError.field(`${field}.learningRate`, `must be > 0, got ${out.learningRate}`);
  for (const k of ['momentum', 'weightDecay'] as const)
    if (!(Number.isFinite(out[k]) && out[k] >= 0 && (k !== 'momentum' || out[k] < 1)))
      throw ValidationError.field(`${field}.${k}`, `out of range: ${out[k]}`);
  if (out.sampling !== 'class-balanced' && out.sampling !== 'shuffle')
    throw ValidationError.field(`${field}.sampling`, `unknown sampling ${String(out.sampling)}`);
  return out;
}

/**
 * `count` class-balanced draws (Kang et al. eq. 1, q = 0): a class uniformly among the classes
 * present, then one of its rows uniformly. Returns row indices.
 */
export function classBalancedDraws(
  labels: ArrayLike<number>,
  numClasses: number,
  count: number,
  rng: Rng,
): number[] {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r];
    if (!(Number.isInteger(y) && y >= 0 && y < numClasses))
      throw new RangeError(`label ${y} of row ${r} is not a class of ${numClasses}`);
    byClass[y].push(r);
  }
  const present = byClass.filter((rows) => rows.length > 0);
  if (present.length === 0) return [];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const rows = present[rng.int(0, present.length - 1)];
    out.push(rows[rng.int(0, rows.length - 1)]);
  }
  return out;
}

/** Logits x W + b of one row (float64). */
function logitsOf(
  x: Float32Array,
  row: number,
  dim: number,
  w: Float64Array,
  b: Float64Array,
  out: Float64Array,
): void {
  const k = b.length;
  for (let c = 0; c < k; c++) out[c] = b[c];
  const off = row * dim;
  for (let i = 0; i < dim; i++) {
    const v = x[off + i];
    if (v === 0) continue;
    const wi = i * k;
    for (let c = 0; c < k; c++) out[c] += v * w[wi + c];
  }
}

/** Softmax in place, returning log(sum exp) (the max is subtracted first). */
function softmaxInPlace(z: Float64Array): number {
  let m = -Infinity;
  for (const v of z) if (v > m) m = v;
  let s = 0;
  for (let c = 0; c < z.length; c++) {
    z[c] = Math.exp(z[c] - m);
    s += z[c];
  }
  for (let c = 0; c < z.length; c++) z[c] /= s;
  return m + Math.log(s);
}

/** Mean softmax cross-entropy of `head` on the rows (all rows when omitted). */
export function headLoss(
  head: LinearHead,
  data: LabelledFeatures,
  rows?: readonly number[],
): number {
  const k = head.bias.length;
  const w = Float64Array.from(head.kernel);
  const b = Float64Array.from(head.bias);
  const z = new Float64Array(k);
  const idx = rows ?? [...Array(data.labels.length).keys()];
  let loss = 0;
  for (const r of idx) {
    logitsOf(data.features, r, data.dim, w, b, z);
    const zy = z[data.labels[r]];
    loss += softmaxInPlace(z) - zy;
  }
  return idx.length > 0 ? loss / idx.length : 0;
}

/** Accuracy of argmax(x W + b) on the rows. */
export function headAccuracy(head: LinearHead, data: LabelledFeatures): number {
  const k = head.bias.length;
  const w = Float64Array.from(head.kernel);
  const b = Float64Array.from(head.bias);
  const z = new Float64Array(k);
  let hit = 0;
  for (let r = 0; r < data.labels.length; r++) {
    logitsOf(data.features, r, data.dim, w, b, z);
    let best = 0;
    for (let c = 1; c < k; c++) if (z[c] > z[best]) best = c;
    if (best === data.labels[r]) hit++;
  }
  return data.labels.length > 0 ? hit / data.labels.length : 0;
}

export interface HeadCalibrationOutcome {
  head: LinearHead;
  /** Mean training loss of each epoch's batches. */
  epochLosses: number[];
  steps: number;
}

/**
 * Re-trains `head` on `data` (the frozen layers' features), seeded: the same inputs and seed give
 * the same head. The input head is not modified.
 */
export function retrainHead(
  head: LinearHead,
  data: LabelledFeatures,
  settings: HeadCalibrationSettings,
  seed: number,
): HeadCalibrationOutcome {
  const k = head.bias.length;
  const dim = data.dim;
  const n = data.labels.length;
  if (head.kernel.length !== dim * k)
    throw new RangeError(
      `head kernel has ${head.kernel.length} values, features ${dim} x ${k} classes`,
    );
  if (data.features.length !== n * dim)
    throw new RangeError(`${data.features.length} feature values for ${n} rows of ${dim}`);
  const w = Float64Array.from(head.kernel);
  const b = Float64Array.from(head.bias);
  const vw = new Float64Array(w.length);
  const vb = new Float64Array(k);
  const gw = new Float64Array(w.length);
  const gb = new Float64Array(k);
  const z = new Float64Array(k);
  const rng = new Rng(seed);
  const { learningRate: lr, momentum: mu, batchSize, weightDecay: wd } = settings;
  const epochLosses: number[] = [];
  let steps = 0;
  for (let epoch = 0; epoch < settings.epochs && n > 0; epoch++) {
    const order =
      settings.sampling === 'class-balanced'
        ? classBalancedDraws(data.labels, k, n, rng)
        : rng.shuffle([...Array(n).keys()]);
    let epochLoss = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = order.slice(start, start + batchSize);
      gw.fill(0);
      gb.fill(0);
      for (const r of batch) {
        logitsOf(data.features, r, dim, w, b, z);
        const y = data.labels[r];
        const zy = z[y];
        epochLoss += softmaxInPlace(z) - zy;
        z[y] -= 1;
        const off = r * dim;
        for (let c = 0; c < k; c++) gb[c] += z[c] / batch.length;
        for (let i = 0; i < dim; i++) {
          const v = data.features[off + i];
          if (v === 0) continue;
          const wi = i * k;
          for (let c = 0; c < k; c++) gw[wi + c] += (v * z[c]) / batch.length;
        }
      }
      for (let j = 0; j < w.length; j++) {
        vw[j] = mu * vw[j] + gw[j] + wd * w[j];
        w[j] -= lr * vw[j];
      }
      for (let c = 0; c < k; c++) {
        vb[c] = mu * vb[c] + gb[c];
        b[c] -= lr * vb[c];
      }
      steps++;
    }
    epochLosses.push(epochLoss / order.length);
  }
  return { head: { kernel: Float32Array.from(w), bias: Float32Array.from(b) }, epochLosses, steps };
}

/** One class's feature statistics at one site (or merged): count, mean, covariance [dim, dim]. */
export interface ClassFeatureStats {
  count: number;
  mean: Float64Array;
  /** Unbiased (divided by count - 1); zeros when count < 2. */
  covariance: Float64Array;
}

/** Per class, the count, mean and unbiased covariance of the rows' features (CCVR, sec. 4.1). */
export function classFeatureStats(data: LabelledFeatures, numClasses: number): ClassFeatureStats[] {
  const d = data.dim;
  const stats = Array.from({ length: numClasses }, () => ({
    count: 0,
    mean: new Float64Array(d),
    covariance: new Float64Array(d * d),
  }));
  for (let r = 0; r < data.labels.length; r++) {
    const s = stats[data.labels[r]];
    s.count++;
    for (let i = 0; i < d; i++) s.mean[i] += data.features[r * d + i];
  }
  for (const s of stats) if (s.count > 0) for (let i = 0; i < d; i++) s.mean[i] /= s.count;
  const dev = new Float64Array(d);
  for (let r = 0; r < data.labels.length; r++) {
    const s = stats[data.labels[r]];
    for (let i = 0; i < d; i++) dev[i] = data.features[r * d + i] - s.mean[i];
    for (let i = 0; i < d; i++) {
      if (dev[i] === 0) continue;
      for (let j = 0; j < d; j++) s.covariance[i * d + j] += dev[i] * dev[j];
    }
  }
  for (const s of stats)
    if (s.count > 1) for (let i = 0; i < d * d; i++) s.covariance[i] /= s.count - 1;
    else s.covariance.fill(0);
  return stats;
}

/**
 * The global per-class statistics from the sites' (CCVR eqs. 3-4): mu_c = sum_k N_ck/N_c mu_ck,
 * Sigma_c = sum_k (N_ck - 1)/(N_c - 1) Sigma_ck + sum_k N_ck/(N_c - 1) mu_ck mu_ck^T
 *           - N_c/(N_c - 1) mu_c mu_c^T,
 * which equal the statistics of the sites' rows pooled.
 */
export function mergeClassStats(
  sites: readonly (readonly ClassFeatureStats[])[],
): ClassFeatureStats[] {
  const numClasses = sites[0]?.length ?? 0;
  const d = sites[0]?.[0]?.mean.length ?? 0;
  const out: ClassFeatureStats[] = [];
  for (let c = 0; c < numClasses; c++) {
    const n = sites.reduce((a, s) => a + s[c].count, 0);
    const mean = new Float64Array(d);
    const covariance = new Float64Array(d * d);
    for (const s of sites)
      for (let i = 0; i < d; i++) mean[i] += (s[c].count / Math.max(n, 1)) * s[c].mean[i];
    if (n > 1) {
      for (const s of sites) {
        const { count, mean: m, covariance: cov } = s[c];
        if (count === 0) continue;
        for (let i = 0; i < d; i++)
          for (let j = 0; j < d; j++)
            covariance[i * d + j] += ((count - 1) * cov[i * d + j] + count * m[i] * m[j]) / (n - 1);
      }
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) covariance[i * d + j] -= (n / (n - 1)) * mean[i] * mean[j];
    }
    out.push({ count: n, mean, covariance });
  }
  return out;
}

/**
 * Floats one site sends for its statistics: per class present, the count, the mean and the
 * covariance's upper triangle (`full`) or its diagonal (`diagonal`).
 */
export function classStatsFloats(
  stats: readonly ClassFeatureStats[],
  covariance: 'full' | 'diagonal',
): number {
  return stats
    .filter((s) => s.count > 0)
    .reduce((a, s) => {
      const d = s.mean.length;
      return a + 1 + d + (covariance === 'full' ? (d * (d + 1)) / 2 : d);
    }, 0);
}

/**
 * Lower-triangular L with L L^T = A + eps I (A symmetric [d, d]); eps grows from a tiny multiple of
 * the mean diagonal until the factorisation succeeds (ReLU features have dead, zero-variance units).
 */
export function choleskyWithJitter(a: Float64Array, d: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < d; i++) trace += a[i * d + i];
  let eps = 1e-6 * Math.max(trace / Math.max(d, 1), 1e-12);
  for (let attempt = 0; attempt < 12; attempt++, eps *= 10) {
    const l = new Float64Array(d * d);
    let ok = true;
    for (let i = 0; i < d && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[i * d + j] + (i === j ? eps : 0);
        for (let p = 0; p < j; p++) s -= l[i * d + p] * l[j * d + p];
        if (i === j) {
          if (!(s > 0)) {
            ok = false;
            break;
          }
          l[i * d + i] = Math.sqrt(s);
        } else l[i * d + j] = s / l[j * d + j];
      }
    }
    if (ok) return l;
  }
  throw new RangeError('covariance is not positive semi-definite');
}

/**
 * CCVR's virtual representations: `perClass` draws x = mu_c + L_c e, e ~ N(0, I), from every class
 * with at least one real row (`diagonal` keeps only the variances). Rows come class by class.
 */
export function sampleVirtualFeatures(
  stats: readonly ClassFeatureStats[],
  perClass: number,
  rng: Rng,
  covariance: 'full' | 'diagonal' = 'full',
): LabelledFeatures {
  const d = stats[0]?.mean.length ?? 0;
  const present = stats.map((s, c) => ({ s, c })).filter(({ s }) => s.count > 0);
  const features = new Float32Array(present.length * perClass * d);
  const labels: number[] = [];
  const e = new Float64Array(d);
  let row = 0;
  for (const { s, c } of present) {
    const cov =
      covariance === 'full'
        ? s.covariance
        : Float64Array.from({ length: d * d }, (_, ij) =>
            ij % (d + 1) === 0 ? s.covariance[ij] : 0,
          );
    const l = choleskyWithJitter(cov, d);
    for (let m = 0; m < perClass; m++, row++) {
      for (let i = 0; i < d; i++) e[i] = rng.normal();
      for (let i = 0; i < d; i++) {
        let v = s.mean[i];
        for (let p = 0; p <= i; p++) v += l[i * d + p] * e[p];
        features[row * d + i] = v;
      }
      labels.push(c);
    }
  }
  return { features, labels, dim: d };
}

export interface VirtualCalibrationSettings {
  /** Virtual features drawn per class present at any site. */
  virtualPerClass: number;
  /** What the sites send: the covariance's upper triangle or only its diagonal. */
  covariance: 'full' | 'diagonal';
  /** The re-training (its `sampling` is `shuffle`: the virtual set is balanced already). */
  head: HeadCalibrationSettings;
}

/**
 * CCVR at the coordinator (Luo et al. 2021, Algorithm 1, server side): merges the sites' per-class
 * feature statistics, draws `virtualPerClass` virtual features from every class's Gaussian and
 * re-trains the head on them. Seeded: draws from `seed + 1`, re-training from `seed`.
 */
export function calibrateFromClassStats(
  head: LinearHead,
  sites: readonly (readonly ClassFeatureStats[])[],
  settings: VirtualCalibrationSettings,
  seed: number,
): HeadCalibrationOutcome {
  const virtual = sampleVirtualFeatures(
    mergeClassStats(sites),
    settings.virtualPerClass,
    new Rng(seed + 1),
    settings.covariance,
  );
  return retrainHead(head, virtual, { ...settings.head, sampling: 'shuffle' }, seed);
}
