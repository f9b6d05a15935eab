import * as tf from '@tensorflow/tfjs';
import { KernelScope } from './kernel-scope';

/**
 * UnsortedSegmentSum through kernels wasm has. tfjs needs it for the gradient of Gather, i.e. of
 * every Embedding layer. out[s] = sum over i with ids[i] = s of x[i] is onehot(ids)^T . x: one
 * OneHot and one GEMM; ids outside [0, numSegments) match no segment and are dropped, as in
 * TensorFlow's unsorted_segment_sum.
 */
export function unsortedSegmentSumComposite(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const { numSegments } = attrs as unknown as { numSegments: number };
    const scope = new KernelScope(backend as tf.KernelBackend, backendName);
    const idRank = segmentIds.shape.length;
    const n = segmentIds.shape.reduce((p, d) => p * d, 1);
    const rest = x.shape.slice(idRank);
    const width = rest.reduce((p, d) => p * d, 1);
    const ids = scope.reshape(segmentIds, [n]);
    // wasm's OneHot writes int32 whatever dtype is asked for, so ask for int32 and cast.
    const oneHotInt = scope.run(
      'OneHot',
      { indices: ids },
      { depth: numSegments, onValue: 1, offValue: 0, dtype: 'int32' },
    );
    const oneHot = scope.run('Cast', { x: oneHotInt }, { dtype: 'float32' });
    const xf = x.dtype === 'float32' ? x : scope.run('Cast', { x }, { dtype: 'float32' });
    const sums = scope.run(
      'BatchMatMul',
      { a: scope.reshape(oneHot, [1, n, numSegments]), b: scope.reshape(xf, [1, n, width]) },
      { transposeA: true, transposeB: false },
    );
    return scope.finish(scope.reshape(sums, [numSegments, ...rest]));
  };
}
