import * as tf from '@tensorflow/tfjs';
import { isHeapBackend } from './max-pool-grad';

/** Our kernel's name: dx of ClipByValue in one pass (registered for heap backends: wasm). */
export const CLIP_BY_VALUE_GRAD = 'AutodlClipByValueGrad';

/**
 * dx = dy where clipValueMin <= x <= clipValueMax, else 0 (a NaN x passes nothing): tfjs-core
 * 4.22's ClipByValue gradient, `where(logicalAnd(greaterEqual(x, min), lessEqual(x, max)), dy,
 * zerosLike(dy))`, in one loop. tfjs-layers builds `reLU({maxValue: 6})` (mobilenet's relu6) as
 * relu then clipByValue, and those five kernels per layer were 19% of a mobilenet training step
 * on wasm (docs/benchmarks.md, session 10).
 */
export function clipByValueBackprop(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  min: number,
  max: number,
): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    dx[i] = v >= min && v <= max ? dy[i] : 0;
  }
}

/** The kernel for backends whose tensors live in one typed heap: views in, written in place. */
export function clipByValueGradKernel(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
    const heap = backend as tf.KernelBackend;
    if (!isHeapBackend(heap)) {
      throw new Error(`${CLIP_BY_VALUE_GRAD} needs a backend with a typed heap (wasm)`);
    }
    // Allocate first: growing the heap detaches views taken before.
    const out = heap.makeOutput([...x.shape], 'float32');
    const dx = heap.typedArrayFromHeap(out);
    clipByValueBackprop(
      heap.typedArrayFromHeap(x),
      heap.typedArrayFromHeap(dy),
      dx,
      clipValueMin,
      clipValueMax,
    );
    return out;
  };
}

const stock = tf.getGradient('ClipByValue');

/**
 * ClipByValue's gradient through our kernel where the active backend has it (float32 on wasm),
 * else tfjs-core's own (cpu, the native backends, other dtypes).
 */
export const clipByValueGradConfig: tf.GradConfig = {
  kernelName: 'ClipByValue',
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const grad = dy as tf.Tensor;
    const [x] = saved;
    const ours =
      x.dtype === 'float32' &&
      grad.dtype === 'float32' &&
      tf.getKernel(CLIP_BY_VALUE_GRAD, tf.getBackend()) !== undefined;
    if (!ours) return stock.gradFunc(dy, saved, attrs);
    return {
      x: () => tf.engine().runKernel(CLIP_BY_VALUE_GRAD, { dy: grad, x }, attrs) as tf.Tensor,
    };
  },
};

let registered = false;

/** Replaces tfjs-core's ClipByValue gradient (it falls back to it where our kernel is absent). */
export function registerClipByValueGradient(): void {
  if (registered) return;
  tf.registerGradient(clipByValueGradConfig);
  registered = true;
}
