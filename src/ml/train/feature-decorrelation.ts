/**
 * FedDecorr (Shi, Liang, Zhang, Wei, Chen & Zheng, "Towards Understanding and Mitigating
 * Dimensional Collapse in Heterogeneous Federated Learning", ICLR 2023): under label skew a
 * site's penultimate features collapse onto few directions (its few classes need few), and the
 * average inherits the collapse. The site's loss adds beta times the squared off-diagonal
 * correlations of the batch's features, which keeps them spread over all dimensions.
 *
 * The penalty follows the paper's reference implementation (github.com/Yujun-Shi/FedDecorr):
 * each feature column centred and divided by sqrt(eps + its unbiased variance) over the batch,
 * M = z^T z (the correlation matrix times n - 1), and the penalty is the mean of M's squared
 * off-diagonal entries divided by n. A column with no variance (a dead ReLU unit) is 0 after
 * centring, so it adds nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from './evaluate';
import type { LossFn } from './gradient-step';
import { splitAtHead } from './penultimate';

const EPS = 1e-8;

/** FedDecorr's penalty of features z [n, d] (n >= 2, d >= 2; n = 1 gives 0, as the paper's). */
export function decorrelationPenalty(z: tf.Tensor): tf.Scalar {
  if (z.rank !== 2) throw new Error(`features must be [n, d], got [${z.shape}]`);
  const [n, d] = z.shape as [number, number];
  if (n < 2 || d < 2) return tf.scalar(0);
  return tf.tidy(() => {
    const centred = tf.sub(z, tf.mean(z, 0, true));
    const variance = tf.div(tf.sum(tf.square(centred), 0, true), n - 1);
    const standard = tf.div(centred, tf.sqrt(tf.add(variance, EPS)));
    const m = tf.matMul(standard, standard, true, false);
    const offDiagonal = tf.mul(m, tf.sub(1, tf.eye(d)));
    return tf.div(tf.sum(tf.square(offDiagonal)), d * (d - 1) * n) as tf.Scalar;
  });
}

/**
 * The trainer's loss: cross-entropy plus beta x FedDecorr's penalty on the head's input (the
 * penultimate features). One forward pass: the body up to the head, then the model's own head
 * layer on those features (so a frozen head stays frozen). It does not call ctx.forward, so the
 * run reports no training accuracy.
 */
export function decorrelatedLoss(model: tf.LayersModel, beta: number): LossFn {
  if (!(Number.isFinite(beta) && beta > 0)) throw new Error(`beta must be > 0, got ${beta}`);
  const { body, head } = splitAtHead(model);
  return (_model, x, y) => {
    const features = body.apply(x, { training: true }) as tf.Tensor;
    const out = head.apply(features, { training: true }) as tf.Tensor;
    const flat = features.reshape([features.shape[0], -1]);
    return tf.add(crossEntropy(out, y), tf.mul(beta, decorrelationPenalty(flat))) as tf.Scalar;
  };
}
