/**
 * The weighted sum of the shards' gradients of one variable (sharded-step.ts): in shard order,
 * g[k] = float32(... float32(float32(0 + w_0 p_0[k]) + w_1 p_1[k]) ...), each product and sum in
 * float64 and rounded to float32 once per shard, exactly as `g[k] += w * part[offset + k]` over a
 * zeroed Float32Array does. `parts[s]` holds shard s's gradients of every variable; the
 * variable's are [offset, offset + size).
 *
 * The same bits as that loop (shard-sum.spec.ts), at about half its CPU (issue 20, session 10: a
 * view per part instead of offset arithmetic, the first shard written instead of added to zero,
 * a plain loop instead of a closure per shard): this sum is on the main thread between steps,
 * where the replicas wait.
 */
export function weightedShardSum(
  parts: readonly Float32Array[],
  weights: readonly number[],
  offset: number,
  size: number,
): Float32Array {
  const g = new Float32Array(size);
  for (let s = 0; s < parts.length; s++) {
    const part = parts[s].subarray(offset, offset + size);
    const w = weights[s];
    if (s === 0) {
      // 0 + x, not x: float64 0 + (-0) is +0, as the accumulation from a zeroed array gives.
      for (let k = 0; k < size; k++) g[k] = 0 + w * part[k];
    } else {
      for (let k = 0; k < size; k++) g[k] += w * part[k];
    }
  }
  return g;
}
