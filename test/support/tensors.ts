import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';

type Numeric = tf.Tensor | number | ArrayLike<number>;

function flat(x: Numeric): { values: ArrayLike<number>; shape: number[] | undefined } {
  if (x instanceof tf.Tensor) return { values: x.dataSync() as ArrayLike<number>, shape: x.shape };
  if (typeof x === 'number') return { values: [x], shape: undefined };
  return { values: x, shape: undefined };
}

/**
 * Asserts same shape (when both are tensors) and |a - b| <= tol * max(1, |b|) element-wise: an
 * absolute tolerance for small values and a relative one for large (as tfjs-core's own
 * expectArraysClose, plus the relative part for sums over many terms).
 */
export function expectTensorsClose(actual: Numeric, expected: Numeric, tol = 1e-4): void {
  const a = flat(actual);
  const b = flat(expected);
  if (a.shape !== undefined && b.shape !== undefined) {
    assert.deepEqual(a.shape, b.shape, `shapes differ: [${a.shape}] vs [${b.shape}]`);
  }
  assert.equal(a.values.length, b.values.length, 'element counts differ');
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i];
    const y = b.values[i];
    const bound = tol * Math.max(1, Math.abs(y));
    if (!(Math.abs(x - y) <= bound)) {
      assert.fail(`element ${i}: ${x} vs ${y} (|diff| ${Math.abs(x - y)} > ${bound})`);
    }
  }
}

/** Number of live tensors (variables included) on the engine. */
export function tensorCount(): number {
  return tf.memory().numTensors;
}

/** Fails when the live tensor count differs from `before` (taken with tensorCount()). */
export function assertNoLeaks(before: number, label = 'tensor leak'): void {
  const after = tensorCount();
  assert.equal(
    after,
    before,
    `${label}: ${after - before} tensor(s) left (before ${before}, after ${after})`,
  );
}

/** Runs `fn` and fails if it leaves tensors behind (anything it created must be disposed). */
export async function withLeakCheck<T>(fn: () => T | Promise<T>, label?: string): Promise<T> {
  const before = tensorCount();
  const result = await fn();
  assertNoLeaks(before, label);
  return result;
}
