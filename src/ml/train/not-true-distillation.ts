/**
 * Not-true distillation (FedNTD: Lee, Kim, Kim, Yun & Yun, "Preservation of the Global Knowledge
 * by Not-True Distillation in Federated Learning", NeurIPS 2022, eq. 4-5): a site's local loss is
 *   CE(q_l, y) + beta * KL(q~_g || q~_l),
 * where q~ is the softmax over the classes other than the true one (temperature tau on the
 * logits), q_g the global model's prediction at the start of the round and q_l the local one.
 * Under label skew the local model forgets what the global one knew of the classes the site
 * lacks; the term keeps that knowledge without constraining the true class. The global model is
 * fixed for the round, so its predictions on the site's training rows are taken once, before
 * the first step, and gathered per batch by row.
 */
import * as tf from '@tensorflow/tfjs';
import { crossEntropy, EPS } from './evaluate';
import type { LossFn } from './gradient-step';

/** KL(q~_g || q~_l) per row, averaged: the not-true softmax at temperature tau of probabilities. */
export function notTrueKl(
  globalProbs: tf.Tensor2D,
  localProbs: tf.Tensor2D,
  y: tf.Tensor,
  tau: number,
): tf.Scalar {
  return tf.tidy(() => {
    const k = localProbs.shape[1];
    const notTrue = tf.sub(1, tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, k));
    // log-softmax over the not-true classes of logits log(p) / tau: the true class is masked out
    // with a large negative logit.
    const masked = (p: tf.Tensor) =>
      tf.logSoftmax(tf.add(tf.div(tf.log(tf.add(p, EPS)), tau), tf.mul(tf.sub(notTrue, 1), 1e9)));
    const lg = masked(globalProbs);
    const ll = masked(localProbs);
    const qg = tf.mul(tf.exp(lg), notTrue);
    return tf.mean(tf.sum(tf.mul(qg, tf.sub(lg, ll)), -1)) as tf.Scalar;
  });
}

/** FedNTD's local loss, with the global model's probabilities on every training row. */
export function notTrueDistillationLoss(globalProbs: tf.Tensor2D, beta: number, tau = 1): LossFn {
  if (!(beta > 0) || !(tau > 0)) throw new Error(`FedNTD needs beta > 0 and tau > 0`);
  return (_model, x, y, ctx) => {
    if (!ctx.rows) throw new Error('FedNTD needs the batch rows');
    const local = ctx.forward(x) as tf.Tensor2D;
    const global = tf.gather(globalProbs, ctx.rows);
    return tf.add(
      crossEntropy(local, y),
      tf.mul(beta * tau * tau, notTrueKl(global, local, y, tau)),
    ) as tf.Scalar;
  };
}
