import * as tf from '@tensorflow/tfjs';
import { KernelScope } from './kernel-scope';

/**
 * The input of a conv's gradient w.r.t. its input, written as a stride-1 convolution: dy with
 * s-1 zeros inserted between output pixels (reshape to [b, oh, 1, ow, 1, c] and zero-pad the unit
 * axes), framed by (k-1)*d - pad on the leading side and cropped/padded to inH + (k-1)*d on the
 * trailing side. Convolving that with the 180-degree-rotated filter at dilation d gives dx
 * ("transposed convolution" arithmetic, Dumoulin & Visin 2016, section 4).
 */
export function frameForTransposedConv(
  scope: KernelScope,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const channels = dy.shape[3];
  let up = dy;
  if (strideHeight > 1 || strideWidth > 1) {
    const six = scope.reshape(dy, [batchSize, outHeight, 1, outWidth, 1, channels]);
    const padded = scope.padOrCrop(six, [
      [0, 0],
      [0, 0],
      [0, strideHeight - 1],
      [0, 0],
      [0, strideWidth - 1],
      [0, 0],
    ]);
    up = scope.reshape(padded, [
      batchSize,
      outHeight * strideHeight,
      outWidth * strideWidth,
      channels,
    ]);
  }
  const spanH = (filterHeight - 1) * dilationHeight;
  const spanW = (filterWidth - 1) * dilationWidth;
  const top = spanH - padInfo.top;
  const left = spanW - padInfo.left;
  return scope.padOrCrop(up, [
    [0, 0],
    [top, inHeight + spanH - top - up.shape[1]],
    [left, inWidth + spanW - left - up.shape[2]],
    [0, 0],
  ]);
}
