import * as tf from '@tensorflow/tfjs';
import { head, SeededInit, validateZooOptions, ZooOptions } from './zoo-options';

/** Multi-layer perceptron for tabular rows: ReLU hidden layers (default [64, 32]) and the head. */
export function buildMlp(o: ZooOptions): tf.LayersModel {
  validateZooOptions('mlp', o, [1]);
  const init = new SeededInit(o.seed);
  const hidden = o.hidden ?? [64, 32];
  const model = tf.sequential({ name: 'mlp' });
  hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: o.inputShape } : {}),
        units,
        activation: 'relu',
        kernelInitializer: init.he(),
        name: `fc${i + 1}`,
      }),
    );
  });
  if (hidden.length === 0) model.add(tf.layers.inputLayer({ inputShape: o.inputShape }));
  model.add(head(o.numClasses, init));
  return model;
}
