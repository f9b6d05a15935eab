/**
 * The networks the ML benches train, shared so that every bench (and the PyTorch script
 * torch_train_speed.py, which builds the same layers) measures the same thing: `bn-cnn`, three
 * conv (no bias) + batch norm + ReLU + max-pool blocks of 16/32/64 channels on 28x28x1 and a
 * softmax head; `plain-cnn` is the zoo's small-cnn; any other name is a zoo model.
 */
import * as tf from '@tensorflow/tfjs';
import { buildZooModel } from '../../src/ml/zoo/zoo';

export function bnCnn(): tf.LayersModel {
  const m = tf.sequential({ name: 'bn_cnn' });
  [16, 32, 64].forEach((filters, i) => {
    m.add(
      tf.layers.conv2d({
        ...(i === 0 ? { inputShape: [28, 28, 1] } : {}),
        filters,
        kernelSize: 3,
        padding: 'same',
        useBias: false,
      }),
    );
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.reLU());
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  });
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return m;
}

/** A bench network by name, for 28x28x1 inputs and 10 classes. */
export function buildBenchNet(net: string): tf.LayersModel {
  if (net === 'bn-cnn') return bnCnn();
  const zoo = net === 'plain-cnn' ? 'small-cnn' : net;
  return buildZooModel(zoo, { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
}
