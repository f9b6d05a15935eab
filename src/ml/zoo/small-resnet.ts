import * as tf from '@tensorflow/tfjs';
import { batchNorm, head, SeededInit, validateZooOptions, ZooOptions } from './zoo-options';

type SymbolicTensor = tf.SymbolicTensor;

function convBn(
  x: SymbolicTensor,
  filters: number,
  kernelSize: number,
  strides: number,
  name: string,
  init: SeededInit,
  relu: boolean,
): SymbolicTensor {
  let y = tf.layers
    .conv2d({
      filters,
      kernelSize,
      strides,
      padding: 'same',
      useBias: false,
      kernelInitializer: init.he(),
      name: `${name}_conv`,
    })
    .apply(x) as SymbolicTensor;
  y = batchNorm(`${name}_bn`).apply(y) as SymbolicTensor;
  if (relu) y = tf.layers.reLU({ name: `${name}_relu` }).apply(y) as SymbolicTensor;
  return y;
}

/**
 * A basic residual block (He et al. 2016, "Deep Residual Learning", fig. 2 left): two 3x3
 * conv-BN layers, identity shortcut, or a 1x1 strided projection when the shape changes
 * (their option B).
 */
function residualBlock(
  x: SymbolicTensor,
  filters: number,
  strides: number,
  name: string,
  init: SeededInit,
): SymbolicTensor {
  const y = convBn(
    convBn(x, filters, 3, strides, `${name}_a`, init, true),
    filters,
    3,
    1,
    `${name}_b`,
    init,
    false,
  );
  const inChannels = x.shape[x.shape.length - 1];
  const shortcut =
    strides !== 1 || inChannels !== filters
      ? convBn(x, filters, 1, strides, `${name}_proj`, init, false)
      : x;
  const sum = tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as SymbolicTensor;
  return tf.layers.reLU({ name: `${name}_out` }).apply(sum) as SymbolicTensor;
}

/** CIFAR-style small ResNet: stem, three stages of one block (width, 2w, 4w; default w = 16), GAP, head. */
export function buildSmallResnet(o: ZooOptions): tf.LayersModel {
  validateZooOptions('small-resnet', o, [3]);
  const init = new SeededInit(o.seed);
  const w = o.width ?? 16;
  const input = tf.input({ shape: o.inputShape, name: 'input' });
  let x = convBn(input, w, 3, 1, 'stem', init, true);
  x = residualBlock(x, w, 1, 'block1', init);
  x = residualBlock(x, 2 * w, 2, 'block2', init);
  x = residualBlock(x, 4 * w, 2, 'block3', init);
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as SymbolicTensor;
  const out = head(o.numClasses, init).apply(x) as SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'small_resnet' });
}
