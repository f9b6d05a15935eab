/**
 * FedNova's normalised averaging (Wang, Liu, Liang, Joshi & Poor, "Tackling the Objective
 * Inconsistency Problem in Heterogeneous Federated Optimization", NeurIPS 2020, eq. 7 with vanilla
 * local SGD, a_i = tau_i):
 *   x' = x - tau_eff * sum_i p_i * (x - x_i) / tau_i,   tau_eff = sum_i p_i * tau_i,   p_i = n_i / n
 * x the global weights the round started from, x_i site i's weights after its tau_i local steps.
 *
 * Why: when sites take different numbers of local steps (same epochs over different amounts of
 * data), FedAvg's average converges to the optimum of sum_i p_i tau_i F_i, not of sum_i p_i F_i
 * (the paper's Theorem 1): the sites with more steps pull the model towards their own data, and
 * under label skew towards their own classes. Dividing each site's change by its steps before
 * weighing it by p_i removes that bias; tau_eff keeps the step of the average as large as
 * FedAvg's. With equal tau_i it is FedAvg.
 */
import { ValidationError } from '../../platform/errors/domain-error';
import type { SiteShare } from './federated-algorithm';
import { sameShape, type WeightSet } from './weights';

/** A site's local steps in the round: its own count, else its sample count (same epochs, batch). */
export function localStepsOf(share: SiteShare): number {
  return share.localSteps ?? share.samples;
}

export function normalizedAverage(shares: readonly SiteShare[], global: WeightSet): Float32Array[] {
  if (shares.length === 0) throw ValidationError.field('updates', 'needs at least one site');
  let n = 0;
  for (const s of shares) {
    if (!s.weights) throw ValidationError.field(`updates.${s.site}.weights`, 'is missing');
    if (!sameShape(s.weights, global))
      throw ValidationError.field(`updates.${s.site}.weights`, 'differ in shape from the global');
    if (!(s.samples > 0 && localStepsOf(s) > 0))
      throw ValidationError.field(`updates.${s.site}`, 'needs samples and local steps above 0');
    n += s.samples;
  }
  const tauEff = shares.reduce((acc, s) => acc + (s.samples / n) * localStepsOf(s), 0);
  // coefficient of site i's change (x_i - x): tau_eff * p_i / tau_i
  const c = shares.map((s) => (tauEff * s.samples) / n / localStepsOf(s));
  return global.map((g, t) => {
    const acc = Float64Array.from(g);
    shares.forEach((s, k) => {
      const w = (s.weights as WeightSet)[t];
      for (let j = 0; j < g.length; j++) acc[j] += c[k] * (w[j] - g[j]);
    });
    return Float32Array.from(acc);
  });
}
