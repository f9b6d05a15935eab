import * as tf from '@tensorflow/tfjs';

/**
 * DTNH (Wan, Xiong, Li, Zhu & Huan, ICDM 2019, "Towards Making Deep Transfer Learning Never Hurt",
 * sec. IV): each step the gradient g_t of the task loss and g_r of the transfer regulariser are
 * computed separately; when they conflict (<g_r, g_t> < 0) the component of g_r along g_t is
 * removed, g_r' = g_r - (<g_r, g_t> / ||g_t||^2) g_t, so the step g_t + g_r' never opposes the
 * task gradient (<g_t + g_r', g_t> = ||g_t||^2 >= 0). Without conflict the sum is unchanged.
 * The inner product runs over all trainable variables at once, treating them as one vector.
 *
 * A gradient transform for a custom training loop: both maps are keyed by variable name; a name
 * missing from `regularizer` counts as a zero gradient. Returns new tensors; the inputs are left to
 * the caller. Branch-free on the device (no data sync per step).
 */
export function dtnhCombine(
  task: tf.NamedTensorMap,
  regularizer: tf.NamedTensorMap,
): tf.NamedTensorMap {
  for (const name of Object.keys(regularizer)) {
    if (!(name in task)) {
      throw new RangeError(`dtnh: regulariser gradient for ${name} has no task gradient`);
    }
  }
  const names = Object.keys(task);
  return tf.tidy(() => {
    const dot = gradientInnerProduct(task, regularizer);
    let norm2: tf.Scalar = tf.scalar(0);
    for (const name of names) norm2 = tf.add(norm2, tf.sum(tf.square(task[name])));
    // coefficient = <g_r, g_t> / ||g_t||^2 when negative, else 0; 0 too when g_t = 0.
    const safeNorm = tf.maximum(norm2, tf.scalar(1e-30));
    const coefficient = tf.div(tf.minimum(dot, 0), safeNorm);
    const keepTask = tf.sub(1, coefficient);
    const out: tf.NamedTensorMap = {};
    for (const name of names) {
      const scaledTask = tf.mul(task[name], keepTask);
      const gr = regularizer[name];
      out[name] = gr ? tf.add(scaledTask, gr) : scaledTask;
    }
    return out;
  });
}

/** <g_t, g_r> over all variables as one vector (a name missing from `regularizer` adds 0). */
export function gradientInnerProduct(
  task: tf.NamedTensorMap,
  regularizer: tf.NamedTensorMap,
): tf.Scalar {
  return tf.tidy(() => {
    let dot: tf.Scalar = tf.scalar(0);
    for (const name of Object.keys(task)) {
      const gr = regularizer[name];
      if (gr) dot = tf.add(dot, tf.sum(tf.mul(task[name], gr)));
    }
    return dot;
  });
}

/** Cosine between the task and regulariser gradients (0 when either is zero); for metrics. */
export function gradientCosine(task: tf.NamedTensorMap, regularizer: tf.NamedTensorMap): number {
  return tf.tidy(() => {
    let dot: tf.Scalar = tf.scalar(0);
    let nt: tf.Scalar = tf.scalar(0);
    let nr: tf.Scalar = tf.scalar(0);
    for (const name of Object.keys(task)) {
      const gr = regularizer[name];
      nt = tf.add(nt, tf.sum(tf.square(task[name])));
      if (!gr) continue;
      dot = tf.add(dot, tf.sum(tf.mul(task[name], gr)));
      nr = tf.add(nr, tf.sum(tf.square(gr)));
    }
    const [d, a, b] = [dot.dataSync()[0], nt.dataSync()[0], nr.dataSync()[0]];
    return a > 0 && b > 0 ? d / Math.sqrt(a * b) : 0;
  });
}
