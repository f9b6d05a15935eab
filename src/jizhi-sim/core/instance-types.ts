import type { RandomSource } from './sim-random';
import { Problems } from './problems';

/**
 * Heterogeneous instances in one stage (docs/jizhi-sim.md, "Instance types"), e.g. one A100 and
 * two T4 behind one queue. Each type has a count and a relative `speed` (service time is divided
 * by it); a free server is chosen by the stage's dispatch policy:
 *  - `fastest-free`: the fastest idle instance (Lin & Kumar 1984: optimal for two servers up to a
 *    threshold; the usual "send to the best GPU" rule),
 *  - `random`: an idle instance drawn uniformly.
 */
export type DispatchPolicy = 'fastest-free' | 'random';

export interface InstanceTypeSpec {
  name: string;
  count: number;
  speed?: number;
  pricePerHour?: number;
  resources?: ResourceVector;
}

/** What one instance holds; priced by the pipeline's resourcePrices (cost.ts). */
export interface ResourceVector {
  cpu?: number;
  gpu?: number;
  memoryGib?: number;
}

/** Speed of every instance of the stage (instance i of the types in order), checked against `instances`. */
export function instanceSpeeds(
  r: Problems,
  types: readonly InstanceTypeSpec[],
  instances: number,
  field: string,
): Float64Array {
  const total = types.reduce((a, t) => a + t.count, 0);
  if (total !== instances)
    r.fail(`${field}.instanceTypes`, `counts add up to ${total}, but instances is ${instances}`);
  const speeds = new Float64Array(Math.max(total, instances));
  let i = 0;
  for (const t of types) for (let k = 0; k < t.count; k++) speeds[i++] = t.speed ?? 1;
  for (; i < speeds.length; i++) speeds[i] = 1;
  return speeds;
}

/**
 * Takes an idle instance out of `idle[0..count)` by the policy and returns it; the caller
 * decrements its count. Swap-removal keeps the idle set compact.
 */
export function takeIdle(
  idle: Int32Array,
  count: number,
  speeds: Float64Array,
  policy: DispatchPolicy,
  rng: RandomSource,
): number {
  let k = count - 1;
  if (policy === 'random') k = Math.floor(rng.float() * count);
  else for (let j = 0; j < count - 1; j++) if (speeds[idle[j]] > speeds[idle[k]]) k = j;
  const inst = idle[k];
  idle[k] = idle[count - 1];
  return inst;
}
