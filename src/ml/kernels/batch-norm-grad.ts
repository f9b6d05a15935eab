import * as tf from '@tensorflow/tfjs';

/**
 * The gradient of FusedBatchNorm, y = (x - mean) * scale / sqrt(variance + eps) + offset, with
 * the per-channel factors broadcast instead of tiled.
 *
 * tfjs-core 4.22's gradient tiles rsqrt(variance) to the whole [B, H, W, C] map before one
 * multiply (31% of a conv+BN net's training step on wasm, docs/benchmarks/ml.md) and computes
 * each input's gradient with its own products and reductions. Here, with g = scale * r and
 * r = 1 / sqrt(variance + eps), and sums over the broadcast axes:
 *   dx = dy * g                          doffset = sum(dy)
 *   dmean = -g * sum(dy)                 dscale = r * sum(dy * (x - mean))
 *   dvariance = -g r^2 / 2 * sum(dy * (x - mean))
 * two reductions shared by the four small gradients, and one broadcast multiply for dx.
 */
export const batchNormGradConfig: tf.GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const grad = dy as tf.Tensor;
    const eps = (attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon;
    const [x, mean, variance, scale] = saved;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const perChannel = (t: tf.Tensor): tf.Tensor =>
      tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
    const r = tf.rsqrt(tf.add(variance, tf.scalar(eps)));
    const g = scale == null ? r : tf.mul(r, scale);
    // Computed once, here: the engine runs each input's gradient below in a tidy of its own, so a
    // tensor shared between them must come from this outer scope. Only the [C] sums are kept.
    const sumDy = tf.tidy(() => perChannel(grad));
    const sumDyXc = tf.tidy(() => perChannel(tf.mul(grad, tf.sub(x, mean))));
    return {
      x: () => tf.mul(grad, g),
      mean: () => tf.neg(tf.mul(g, sumDy)),
      variance: () => tf.mul(tf.mul(tf.mul(g, tf.square(r)), tf.scalar(-0.5)), sumDyXc),
      scale: () => tf.mul(r, sumDyXc),
      offset: () => tf.clone(sumDy),
    };
  },
};

let registered = false;

/** Replaces tfjs-core's FusedBatchNorm gradient (for every backend: it is made of ops). */
export function registerBatchNormGradient(): void {
  if (registered) return;
  tf.registerGradient(batchNormGradConfig);
  registered = true;
}
