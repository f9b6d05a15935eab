import * as tf from '@tensorflow/tfjs';
import { batchNorm, head, SeededInit, validateZooOptions, ZooOptions } from './zoo-options';

type SymbolicTensor = tf.SymbolicTensor;

/**
 * MobileNet v1-style net (Howard et al. 2017): a strided 3x3 stem, then depthwise separable blocks
 * (3x3 depthwise conv - BN - ReLU6 - 1x1 pointwise conv - BN - ReLU6), GAP and the head. Channels
 * w, 2w, 4w, 4w (default w = 16) instead of the paper's 32..1024 so it trains on a laptop CPU.
 */
export function buildMobilenet(o: ZooOptions): tf.LayersModel {
  validateZooOptions('mobilenet', o, [3]);
  const init = new SeededInit(o.seed);
  const w = o.width ?? 16;
  const input = tf.input({ shape: o.inputShape, name: 'input' });
  let x = tf.layers
    .conv2d({
      filters: w,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      kernelInitializer: init.he(),
      name: 'stem_conv',
    })
    .apply(input) as SymbolicTensor;
  x = batchNorm('stem_bn').apply(x) as SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'stem_relu' }).apply(x) as SymbolicTensor;
  const blocks: Array<[number, number]> = [
    [2 * w, 1],
    [4 * w, 2],
    [4 * w, 1],
  ];
  blocks.forEach(([filters, strides], i) => {
    const n = `dws${i + 1}`;
    x = tf.layers
      .depthwiseConv2d({
        kernelSize: 3,
        strides,
        padding: 'same',
        useBias: false,
        depthwiseInitializer: init.he(),
        name: `${n}_dw`,
      })
      .apply(x) as SymbolicTensor;
    x = batchNorm(`${n}_dw_bn`).apply(x) as SymbolicTensor;
    x = tf.layers.reLU({ maxValue: 6, name: `${n}_dw_relu` }).apply(x) as SymbolicTensor;
    x = tf.layers
      .conv2d({
        filters,
        kernelSize: 1,
        useBias: false,
        kernelInitializer: init.he(),
        name: `${n}_pw`,
      })
      .apply(x) as SymbolicTensor;
    x = batchNorm(`${n}_pw_bn`).apply(x) as SymbolicTensor;
    x = tf.layers.reLU({ maxValue: 6, name: `${n}_pw_relu` }).apply(x) as SymbolicTensor;
  });
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as SymbolicTensor;
  const out = head(o.numClasses, init).apply(x) as SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'mobilenet' });
}
