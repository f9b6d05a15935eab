import { Rng } from '../platform/core/rng';
import { privatiseUpdate, type DpSpec } from './core/differential-privacy';
import { addScaled, subtract, type WeightSet } from './core/weights';

/**
 * What a site shares under DP: w_global + clip(w_local - w_global) + noise (DP-FedAvg), so the
 * coordinator averages noised weights exactly as it averages plain ones.
 */
export function gaussianNoiseShare(
  local: WeightSet,
  global: WeightSet,
  dp: DpSpec,
  seed: number,
): Float32Array[] {
  const noised = privatiseUpdate(subtract(local, global), dp, new Rng(seed).fork('dp'));
  return addScaled(global, noised, 1);
}
