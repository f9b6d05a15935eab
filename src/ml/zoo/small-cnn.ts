import * as tf from '@tensorflow/tfjs';
import { head, SeededInit, validateZooOptions, ZooOptions } from './zoo-options';

/**
 * Two conv/pool stages and a dense layer: the classic LeNet-like baseline of the TF.js MNIST
 * example, with `width` (default 16) filters in the first stage and 2*width in the second.
 */
export function buildSmallCnn(o: ZooOptions): tf.LayersModel {
  validateZooOptions('small-cnn', o, [3]);
  const init = new SeededInit(o.seed);
  const w = o.width ?? 16;
  const model = tf.sequential({ name: 'small_cnn' });
  model.add(
    tf.layers.conv2d({
      inputShape: o.inputShape,
      filters: w,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init.he(),
      name: 'conv1',
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }));
  model.add(
    tf.layers.conv2d({
      filters: 2 * w,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init.he(),
      name: 'conv2',
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(
    tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init.he(), name: 'fc1' }),
  );
  model.add(head(o.numClasses, init));
  return model;
}
