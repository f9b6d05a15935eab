/**
 * Logit-adjusted cross-entropy (Menon, Jayasumana, Rawat, Jain, Veit & Kumar, "Long-tail learning
 * via logit adjustment", ICLR 2021, eq. 10; with tau = 1 it is Ren et al.'s Balanced Softmax,
 * NeurIPS 2020):
 *   loss(y, f(x)) = -log( exp(f_y(x) + tau log pi_y) / sum_j exp(f_j(x) + tau log pi_j) ),
 * where pi is the label prior of the training rows. The model is fitted to the prior-shifted
 * posterior, so its own logits f estimate the class-balanced one: a site whose rows are mostly
 * of a few classes (label skew) no longer pushes every other class's score down, which is the
 * bias an average of such sites inherits (FedLC, Zhang et al. ICML 2022, calibrates the same
 * logits with a per-class margin). At prediction nothing is added.
 *
 * The models here end in a softmax, so f is taken as log p: softmax(log p + a) = softmax(z + a)
 * for the logits z, since log p and z differ by a constant per row.
 */
import * as tf from '@tensorflow/tfjs';
import { EPS } from './evaluate';
import type { LossFn } from './gradient-step';

/**
 * log pi_c of `labels` over k classes, each count + 1 (add-one smoothing keeps a class the rows
 * lack finite: its logit is shifted far down, not to -infinity).
 */
export function classLogPrior(labels: ArrayLike<number>, k: number): Float32Array {
  if (!(Number.isInteger(k) && k >= 2))
    throw new Error(`classes must be an integer >= 2, got ${k}`);
  const counts = new Float64Array(k).fill(1);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(Number.isInteger(c) && c >= 0 && c < k)) throw new Error(`label ${c} not in [0, ${k})`);
    counts[c] += 1;
  }
  const total = labels.length + k;
  return Float32Array.from(counts, (n) => Math.log(n / total));
}

/** The mean logit-adjusted cross-entropy of probabilities `probs` [n, k] against labels `y`. */
export function logitAdjustedCrossEntropy(
  probs: tf.Tensor,
  y: tf.Tensor,
  logPrior: tf.Tensor1D,
  tau: number,
): tf.Scalar {
  return tf.tidy(() => {
    const k = probs.shape[probs.shape.length - 1];
    const shifted = tf.add(tf.log(tf.add(probs, EPS)), tf.mul(logPrior, tau));
    const oneHot = tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, k);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(shifted), oneHot), -1))) as tf.Scalar;
  });
}

/** The trainer's loss: logit-adjusted cross-entropy under `logPrior` (classLogPrior) and tau. */
export function logitAdjustedLoss(
  logPrior: Float32Array,
  tau: number,
): LossFn & { dispose(): void } {
  if (!(Number.isFinite(tau) && tau > 0)) throw new Error(`tau must be > 0, got ${tau}`);
  const prior = tf.keep(tf.tensor1d(logPrior));
  const loss: LossFn = (_model, x, y, ctx) =>
    logitAdjustedCrossEntropy(ctx.forward(x), y, prior, tau);
  return Object.assign(loss, { dispose: () => prior.dispose() });
}
