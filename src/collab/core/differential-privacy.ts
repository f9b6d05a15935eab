/**
 * Differential privacy on a site's shared update (DP-FedAvg, McMahan et al., "Learning
 * Differentially Private Recurrent Language Models", ICLR 2018): the site clips its update
 * d = w_local - w_global to L2 norm C and adds Gaussian noise N(0, (sigma C)^2 I) before sharing.
 *
 * Accounting: Renyi DP of the Gaussian mechanism (Mironov, "Renyi Differential Privacy", CSF 2017,
 * Prop. 7: a sensitivity-C Gaussian with std sigma C is (alpha, alpha / (2 sigma^2))-RDP), composed
 * over the rounds a site takes part in (Prop. 1: RDP adds up) and converted to (epsilon, delta)
 * by Prop. 3: epsilon = rdp(alpha) + log(1/delta) / (alpha - 1), minimised over a grid of orders.
 * Every site takes part in every round (no sampling amplification): the bound is conservative.
 * Neighbouring data sets here are a site's data set with or without any change bounded by the
 * clip (user-level DP with one user per site would need the same accounting).
 */
import type { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';
import { l2Norm, type WeightSet } from './weights';

export interface DpSpec {
  /** C: the L2 clip of the update. */
  clipNorm: number;
  /** sigma: the noise std in units of C. */
  noiseMultiplier: number;
  /** delta of the (epsilon, delta) report. */
  delta: number;
}

/** Clips d to norm C and adds N(0, (sigma C)^2) per coordinate; returns the noised update. */
export function privatiseUpdate(update: WeightSet, dp: DpSpec, rng: Rng): Float32Array[] {
  checkDp(dp);
  const norm = l2Norm(update);
  const scale = norm > dp.clipNorm ? dp.clipNorm / norm : 1;
  const std = dp.noiseMultiplier * dp.clipNorm;
  return update.map((w) => {
    const out = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) out[i] = w[i] * scale + rng.normal(0, std);
    return out;
  });
}

/** Orders alpha the conversion minimises over (as TF Privacy's default grid, extended). */
export const RDP_ORDERS: readonly number[] = [
  1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 48, 64,
  128, 256, 512, 1024,
];

/** (epsilon, delta) after `rounds` Gaussian releases of noise multiplier sigma; with the best order. */
export function gaussianRdpEpsilon(
  noiseMultiplier: number,
  rounds: number,
  delta: number,
): { epsilon: number; order: number } {
  checkDp({ clipNorm: 1, noiseMultiplier, delta });
  if (!Number.isInteger(rounds) || rounds < 0)
    throw ValidationError.field('rounds', `must be an integer >= 0, got ${rounds}`);
  if (rounds === 0) return { epsilon: 0, order: Infinity };
  let best = { epsilon: Infinity, order: NaN };
  for (const a of RDP_ORDERS) {
    const eps = (rounds * a) / (2 * noiseMultiplier ** 2) + Math.log(1 / delta) / (a - 1);
    if (eps < best.epsilon) best = { epsilon: eps, order: a };
  }
  return best;
}

function checkDp(dp: DpSpec): void {
  if (!(Number.isFinite(dp.clipNorm) && dp.clipNorm > 0))
    throw ValidationError.field('dp.clipNorm', `must be a positive number, got ${dp.clipNorm}`);
  if (!(Number.isFinite(dp.noiseMultiplier) && dp.noiseMultiplier > 0))
    throw ValidationError.field(
      'dp.noiseMultiplier',
      `must be a positive number, got ${dp.noiseMultiplier}`,
    );
  if (!(dp.delta > 0 && dp.delta < 1))
    throw ValidationError.field('dp.delta', `must be in (0, 1), got ${dp.delta}`);
}
