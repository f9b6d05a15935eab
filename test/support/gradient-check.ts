import assert from 'node:assert/strict';

/** A differentiable function as the GP acquisitions expose it. */
export interface Differentiable {
  value(q: Float64Array): number;
  valueAndGradient(q: Float64Array): { value: number; grad: ArrayLike<number> };
}

/**
 * Checks `valueAndGradient` against central finite differences (step 1e-6, relative tolerance
 * 1e-5) on the dimensions `dims`, and that its value equals `value`.
 */
export function assertGradientMatchesFiniteDifferences(
  f: Differentiable,
  q: Float64Array,
  dims: readonly number[],
): void {
  const { value, grad } = f.valueAndGradient(q);
  assert.ok(Math.abs(value - f.value(q)) < 1e-12, `value ${value} vs ${f.value(q)}`);
  for (const d of dims) {
    const up = Float64Array.from(q);
    const dn = Float64Array.from(q);
    up[d] += 1e-6;
    dn[d] -= 1e-6;
    const fd = (f.value(up) - f.value(dn)) / 2e-6;
    assert.ok(Math.abs(fd - grad[d]) < 1e-5 * Math.max(1, Math.abs(fd)), `${grad[d]} vs ${fd}`);
  }
}
