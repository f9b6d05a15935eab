/**
 * Sharpness-aware minimisation (SAM: Foret, Kleiner, Mobahi & Neyshabur, "Sharpness-Aware
 * Minimization for Efficiently Improving Generalization", ICLR 2021, eq. 2 and Algorithm 1): each
 * step takes the gradient g of the batch loss, moves the weights to the worst nearby point
 * w + eps, eps = rho g / ||g||_2, takes the gradient there, moves the weights back and lets the
 * optimizer apply that second gradient at w. Twice the cost of a plain step. In federated
 * learning with label-skewed sites (FedSAM: Caldarola, Caputo & Ciccone, ECCV 2022) the sites'
 * flatter minima average better.
 */
import * as tf from '@tensorflow/tfjs';
import { defaultLoss, type GradientFn, type LossFn } from './gradient-step';

export function samGradientFn(rho: number, lossFn: LossFn = defaultLoss): GradientFn {
  if (!(Number.isFinite(rho) && rho > 0)) throw new Error(`SAM's rho must be > 0, got ${rho}`);
  return (ctx) => {
    const loss = () => lossFn(ctx.model, ctx.x, ctx.y, ctx);
    const first = ctx.gradientsOf(loss);
    const norm = tf.sqrt(tf.addN(ctx.variables.map((v) => tf.sum(tf.square(first.grads[v.name])))));
    const scale = tf.div(rho, tf.add(norm, 1e-12));
    // The weights come back from a copy, not by subtracting eps: w + eps - eps is not always w
    // in float32.
    const saved = ctx.variables.map((v) => tf.clone(v));
    ctx.variables.forEach((v) => v.assign(tf.add(v, tf.mul(first.grads[v.name], scale))));
    try {
      const second = ctx.gradientsOf(loss);
      return { loss: first.value, grads: second.grads };
    } finally {
      ctx.variables.forEach((v, i) => v.assign(saved[i]));
    }
  };
}
