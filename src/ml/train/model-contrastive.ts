/**
 * MOON, model-contrastive federated learning (Li, He & Song, CVPR 2021, eq. 3-4): a site's local
 * loss adds mu times a contrastive term on each row's representation z (here the penultimate
 * features, the head's input), pulling it towards the global model's representation z_glob of
 * the same row and away from the site's own previous local model's z_prev:
 *   l_con = -log( exp(sim(z, z_glob) / tau) / (exp(sim(z, z_glob) / tau) + exp(sim(z, z_prev) / tau)) )
 * with sim the cosine similarity. Under label skew the local representation drifts towards what
 * the site's few classes need; the global model's representation was learned from every site.
 * Written as softplus((sim(z, z_prev) - sim(z, z_glob)) / tau), the same value, stable for any tau.
 */
import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from './evaluate';
import type { LossFn } from './gradient-step';
import { splitAtHead } from './penultimate';

const EPS = 1e-8;

/** Row-wise cosine similarity of a and b [n, d]: [n]. */
function cosine(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  const dot = tf.sum(tf.mul(a, b), 1);
  const norms = tf.mul(tf.norm(a, 'euclidean', 1), tf.norm(b, 'euclidean', 1));
  return tf.div(dot, tf.maximum(norms, EPS)) as tf.Tensor1D;
}

/** MOON's l_con averaged over the rows of z, z_glob and z_prev [n, d]. */
export function modelContrastiveTerm(
  z: tf.Tensor2D,
  zGlobal: tf.Tensor2D,
  zPrevious: tf.Tensor2D,
  tau: number,
): tf.Scalar {
  return tf.tidy(() => {
    const margin = tf.div(tf.sub(cosine(z, zPrevious), cosine(z, zGlobal)), tau);
    return tf.mean(tf.softplus(margin)) as tf.Scalar;
  });
}

/**
 * The trainer's loss: cross-entropy + mu l_con. `global` and `previous` are frozen models of the
 * same architecture holding the round's global weights and the site's weights after its previous
 * round (the global ones in its first round, as the paper's code starts). Their variables are not
 * the trained model's, so no gradient reaches them. It does not call ctx.forward, so the run
 * reports no training accuracy.
 */
export function modelContrastiveLoss(
  model: tf.LayersModel,
  global: tf.LayersModel,
  previous: tf.LayersModel,
  mu: number,
  tau: number,
): LossFn {
  if (!(Number.isFinite(mu) && mu > 0)) throw new Error(`mu must be > 0, got ${mu}`);
  if (!(Number.isFinite(tau) && tau > 0)) throw new Error(`tau must be > 0, got ${tau}`);
  const own = splitAtHead(model);
  const g = splitAtHead(global).body;
  const p = splitAtHead(previous).body;
  const flat = (t: tf.Tensor) => t.reshape([t.shape[0], -1]) as tf.Tensor2D;
  return (_model, x, y) => {
    const z = own.body.apply(x, { training: true }) as tf.Tensor;
    const out = own.head.apply(z, { training: true }) as tf.Tensor;
    const zg = flat(g.apply(x, { training: true }) as tf.Tensor);
    const zp = flat(p.apply(x, { training: true }) as tf.Tensor);
    const con = modelContrastiveTerm(flat(z), zg, zp, tau);
    return tf.add(crossEntropy(out, y), tf.mul(mu, con)) as tf.Scalar;
  };
}
