import * as tf from '@tensorflow/tfjs';
import { KernelScope } from './kernel-scope';
import { frameForTransposedConv } from './transposed-conv';

/**
 * Conv2DBackpropInput as one stride-1 Conv2D (the transposed convolution): the framed,
 * zero-dilated dy convolved with W rotated 180 degrees and its in/out channels swapped. wasm 4.22
 * has this kernel, but as a direct loop that is several times slower than its XNNPACK Conv2D, so
 * registerGradientKernels replaces it (docs/benchmarks/ml.md has the measurement).
 */
export function conv2dBackpropInputComposite(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
    };
    if (dataFormat === 'NCHW') {
      throw new Error('Conv2DBackpropInput composite supports dataFormat NHWC only, got NCHW');
    }
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const scope = new KernelScope(backend as tf.KernelBackend, backendName);
    const framed = frameForTransposedConv(scope, dy, info);
    const rotated = scope.run('Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = scope.run('Transpose', { x: rotated }, { perm: [0, 1, 3, 2] });
    return scope.finish(
      scope.run(
        'Conv2D',
        { x: framed, filter: swapped },
        {
          strides: [1, 1],
          pad: 'valid',
          dataFormat: 'NHWC',
          dilations: [1, 1],
          dimRoundingMode: 'floor',
        },
      ),
    );
  };
}
