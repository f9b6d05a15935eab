import * as tf from '@tensorflow/tfjs';

/**
 * Identity that shares the input's buffer (one more reference) instead of copying it, as
 * tfjs-backend-cpu's does and as wasm's own Reshape already does.
 *
 * Why it matters: while a gradient tape records, tfjs-core's engine saves every tensor a
 * gradient needs through `clone`, i.e. the Identity kernel, and tfjs-backend-wasm 4.22's Identity
 * copies the whole tensor: every activation of a training step was copied once more (14% of a
 * small CNN's step, docs/benchmarks/ml.md). Tensors are immutable in tfjs (a variable's assign
 * swaps its buffer, nothing writes into an input), so sharing is safe.
 */
export function sharedIdentityKernel(): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    (backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/**
 * Cast that shares the buffer when the type does not change (the engine's `clone` gradient is
 * such a cast, float32 to float32), and leaves real conversions to the backend's own kernel.
 */
export function sharedCastKernel(stock: tf.KernelFunc): tf.KernelFunc {
  const share = sharedIdentityKernel();
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = args.attrs as unknown as { dtype: tf.DataType };
    return x.dtype === dtype && dtype !== 'string' ? share(args) : stock(args);
  };
}
