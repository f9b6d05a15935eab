import * as tf from '@tensorflow/tfjs';

/** What the wasm backend offers beyond tf.KernelBackend: tensors as views of its heap. */
interface HeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

export function isHeapBackend(b: tf.KernelBackend): b is HeapBackend {
  const candidate = b as Partial<HeapBackend>;
  return (
    typeof candidate.makeOutput === 'function' && typeof candidate.typedArrayFromHeap === 'function'
  );
}

/**
 * The gradient of a 2-D max pool (NHWC): each output cell's dy goes to the first maximum of its
 * window in row-major order (TensorFlow's and tfjs-backend-cpu's rule; a window of NaN or -Inf
 * only passes nothing on), summed where windows overlap. `dx` must be zero on entry.
 *
 * One pass over the windows: O(outputs x window), each window's in-bounds taps listed once and
 * shared by its channels. tfjs-backend-wasm 4.22's MaxPoolGrad
 * instead revisits, for every input pixel, each window that covers it, and was 33% of a small
 * CNN's training step (docs/benchmarks/ml.md).
 */
export function maxPoolBackprop(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight: h, inWidth: w, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const { top, left } = info.padInfo;
  // The window's in-bounds taps, as offsets of their first channel; channel d adds d.
  const taps = new Int32Array(Math.ceil(fh / dilationHeight) * Math.ceil(fw / dilationWidth));
  for (let b = 0; b < batchSize; b++) {
    for (let yr = 0; yr < outHeight; yr++) {
      const r0 = yr * strideHeight - top;
      for (let yc = 0; yc < outWidth; yc++) {
        const c0 = yc * strideWidth - left;
        let n = 0;
        for (let wr = 0; wr < fh; wr += dilationHeight) {
          const r = r0 + wr;
          if (r < 0 || r >= h) continue;
          for (let wc = 0; wc < fw; wc += dilationWidth) {
            const col = c0 + wc;
            if (col >= 0 && col < w) taps[n++] = ((b * h + r) * w + col) * c;
          }
        }
        const dyBase = ((b * outHeight + yr) * outWidth + yc) * c;
        for (let d = 0; d < c; d++) {
          let best = -Infinity;
          let at = -1;
          for (let t = 0; t < n; t++) {
            const i = taps[t] + d;
            if (x[i] > best) {
              best = x[i];
              at = i;
            }
          }
          if (at >= 0) dx[at] += dy[dyBase + d];
        }
      }
    }
  }
}

/**
 * MaxPoolGrad for backends whose tensors live in one typed heap (wasm): the loop above on views
 * of the inputs, written straight into the output (no copies).
 */
export function maxPoolGradKernel(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const heap = backend as tf.KernelBackend;
    if (!isHeapBackend(heap)) {
      throw new Error('maxPoolGradKernel needs a backend with a typed heap (wasm)');
    }
    // Allocate first: growing the heap detaches views taken before.
    const out = heap.makeOutput([...input.shape], 'float32');
    const dx = heap.typedArrayFromHeap(out);
    dx.fill(0);
    maxPoolBackprop(heap.typedArrayFromHeap(input), heap.typedArrayFromHeap(dy), dx, info);
    return out;
  };
}
