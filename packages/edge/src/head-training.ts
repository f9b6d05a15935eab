import * as tf from '@tensorflow/tfjs';

/** Mean cross-entropy of the head's softmax output against integer labels. */
function crossEntropy(head: tf.LayersModel, features: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  const probs = head.apply(features, { training: true }) as tf.Tensor;
  const oneHot = tf.oneHot(labels, probs.shape[probs.shape.length - 1] as number);
  return tf.metrics.categoricalCrossentropy(oneHot, probs).mean() as tf.Scalar;
}

/**
 * One gradient step of the head's trainable weights on a batch of features. Returns the loss
 * as a scalar tensor (the caller disposes it): reading it is the caller's choice, so on WebGL
 * a step does not wait for the GPU unless the value is wanted.
 */
export function trainStep(
  head: tf.LayersModel,
  optimizer: tf.Optimizer,
  features: tf.Tensor,
  labels: readonly number[],
): tf.Scalar {
  return tf.tidy(() => {
    const y = tf.tensor1d([...labels], 'int32');
    const vars = head.trainableWeights.map((w) => w.read() as tf.Variable);
    return optimizer.minimize(() => crossEntropy(head, features, y), true, vars) as tf.Scalar;
  });
}

/** Accuracy and mean loss of the head on features with known labels. */
export function evaluateHead(
  head: tf.LayersModel,
  features: tf.Tensor,
  labels: readonly number[],
): { accuracy: number; loss: number } {
  if (labels.length === 0) return { accuracy: NaN, loss: NaN };
  return tf.tidy(() => {
    const probs = head.predict(features) as tf.Tensor;
    const predicted = probs.argMax(-1).dataSync();
    let correct = 0;
    labels.forEach((l, i) => (correct += predicted[i] === l ? 1 : 0));
    const oneHot = tf.oneHot(tf.tensor1d([...labels], 'int32'), probs.shape[1] as number);
    const loss = tf.metrics.categoricalCrossentropy(oneHot, probs).mean().dataSync()[0];
    return { accuracy: correct / labels.length, loss };
  });
}

/** Copies of the head's weights (a snapshot for early stopping); the caller disposes them. */
export function snapshot(head: tf.LayersModel): tf.Tensor[] {
  return head.getWeights().map((w) => w.clone());
}
