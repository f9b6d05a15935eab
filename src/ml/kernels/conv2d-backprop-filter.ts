import * as tf from '@tensorflow/tfjs';
import { KernelScope } from './kernel-scope';

/**
 * Conv2DBackpropFilter for backends that lack it (tfjs-backend-wasm 4.22).
 *
 * dW[i, j, ci, co] = sum over (b, oh, ow) of xpad[b, oh*s + i*d, ow*s + j*d, ci] * dy[b, oh, ow, co]
 * is itself a convolution once batch and channels swap roles: input x^T [ci, H, W, b] (batch ci,
 * channels b), filter dy^T [oh, ow, b, co], stride d, dilation s, output [ci, kh, kw, co]. One
 * Conv2D on the backend (XNNPACK on wasm) plus three transposes; measured 6-20x faster than
 * im2col tap by tap with BatchMatMul (one-off, docs/benchmarks/ml.md). NHWC only, like the kernel.
 */
export function conv2dBackpropFilterComposite(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
    };
    if (dataFormat === 'NCHW') {
      throw new Error('Conv2DBackpropFilter composite supports dataFormat NHWC only, got NCHW');
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    return filterGradient(new KernelScope(backend as tf.KernelBackend, backendName), x, dy, info);
  };
}

/**
 * The filter gradient for the stride, padding and dilation in `info` (the kernel's attributes
 * carry no dilation, since tfjs refuses gradients of dilated convs, but the formula covers it).
 */
export function filterGradient(
  scope: KernelScope,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { filterHeight, filterWidth, strideHeight, strideWidth, outHeight, outWidth } = info;
  const { dilationHeight, dilationWidth, padInfo, inHeight, inWidth } = info;
  // Exactly the rows/cols the forward conv read: the valid conv below then yields kh x kw.
  const needH = (filterHeight - 1) * dilationHeight + (outHeight - 1) * strideHeight + 1;
  const needW = (filterWidth - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1;
  const xp = scope.padOrCrop(x, [
    [0, 0],
    [padInfo.top, needH - inHeight - padInfo.top],
    [padInfo.left, needW - inWidth - padInfo.left],
    [0, 0],
  ]);
  const xt = scope.run('Transpose', { x: xp }, { perm: [3, 1, 2, 0] });
  const dyt = scope.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
  const conv = scope.run(
    'Conv2D',
    { x: xt, filter: dyt },
    {
      strides: [dilationHeight, dilationWidth],
      pad: 'valid',
      dataFormat: 'NHWC',
      dilations: [strideHeight, strideWidth],
      dimRoundingMode: 'floor',
    },
  );
  return scope.finish(scope.run('Transpose', { x: conv }, { perm: [1, 2, 0, 3] }));
}
