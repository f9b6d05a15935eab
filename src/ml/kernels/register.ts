import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterComposite } from './conv2d-backprop-filter';
import { conv2dBackpropInputComposite } from './conv2d-backprop-input';
import {
  depthwiseBackpropFilterComposite,
  depthwiseBackpropInputComposite,
} from './depthwise-backprop';
import { unsortedSegmentSumComposite } from './unsorted-segment-sum';
import { maxPoolGradKernel } from './max-pool-grad';
import { registerBatchNormGradient } from './batch-norm-grad';
import {
  CLIP_BY_VALUE_GRAD,
  clipByValueGradKernel,
  registerClipByValueGradient,
} from './clip-by-value-grad';
import { sharedCastKernel, sharedIdentityKernel } from './shared-identity';

/** Makes a kernel for a backend; `stock` is the backend's own kernel it replaces, if any. */
type Factory = (backendName: string, stock?: tf.KernelFunc) => tf.KernelFunc;

/**
 * Gradient kernels that tfjs-backend-wasm 4.22 lacks but conv nets and embeddings need in training
 * (found by diffing tf.getKernelsForBackend('wasm') against 'cpu'; see docs/ml.md).
 */
const MISSING: Record<string, Factory> = {
  Conv2DBackpropFilter: conv2dBackpropFilterComposite,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilterComposite,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInputComposite,
  UnsortedSegmentSum: unsortedSegmentSumComposite,
};

/** Kernels wasm has but runs much slower than the composite (measured in docs/benchmarks/ml.md). */
const FASTER: Record<string, Factory> = {
  Conv2DBackpropInput: conv2dBackpropInputComposite,
  MaxPoolGrad: () => maxPoolGradKernel(),
  Identity: () => sharedIdentityKernel(),
  // Not a wasm kernel: ours, which the ClipByValue gradient (relu6) uses where it is registered.
  [CLIP_BY_VALUE_GRAD]: () => clipByValueGradKernel(),
  Cast: (_backend, stock) => {
    if (stock === undefined) throw new Error('Cast: the backend has no kernel to fall back on');
    return sharedCastKernel(stock);
  },
};

const replaced = new Set<string>();

/**
 * Registers the composite kernels for `backendName` (default wasm): the missing ones where the
 * backend has none, and, with `replaceSlow` (default true), the faster replacements, including
 * the broadcasting batch-norm gradient and the one-pass ClipByValue gradient (gradients, so for
 * every backend; the latter uses its kernel where one is registered). Idempotent.
 * Returns the kernel names registered by this call.
 */
export function registerGradientKernels(backendName = 'wasm', replaceSlow = true): string[] {
  const added: string[] = [];
  if (replaceSlow) {
    registerBatchNormGradient();
    registerClipByValueGradient();
  }
  for (const [kernelName, make] of Object.entries(MISSING)) {
    if (tf.getKernel(kernelName, backendName) !== undefined) continue;
    tf.registerKernel({ kernelName, backendName, kernelFunc: make(backendName) });
    added.push(kernelName);
  }
  if (replaceSlow) {
    for (const [kernelName, make] of Object.entries(FASTER)) {
      const key = `${backendName}/${kernelName}`;
      if (replaced.has(key)) continue;
      const stock = tf.getKernel(kernelName, backendName);
      if (stock !== undefined) tf.unregisterKernel(kernelName, backendName);
      tf.registerKernel({
        kernelName,
        backendName,
        kernelFunc: make(backendName, stock?.kernelFunc),
      });
      replaced.add(key);
      added.push(kernelName);
    }
  }
  return added;
}

export const COMPOSITE_KERNEL_NAMES: readonly string[] = [
  ...Object.keys(MISSING),
  ...Object.keys(FASTER),
];
