/**
 * FedProx's proximal term (Li, Sahu, Zaheer, Sanjabi, Talwalkar & Smith, "Federated Optimization
 * in Heterogeneous Networks", MLSys 2020, eq. 2): in round t site k minimises
 *   h_k(w; w^t) = F_k(w) + (mu / 2) ||w - w^t||^2,
 * w^t the global weights the round started from, so its gradient is grad F_k(w) + mu (w - w^t).
 * The term bounds how far a site's local run drifts from the global model under label skew (the
 * paper's remedy for client drift); mu = 0 is the plain local objective. It changes only what a
 * site minimises: nothing more crosses a site boundary (w^t is what the site received).
 */
import { ValidationError } from '../../platform/errors/domain-error';
import { sameShape, type WeightSet } from './weights';

/** mu must be finite and >= 0 (0: no term). */
export function checkProximalMu(mu: number, field = 'proximalMu'): number {
  if (!(Number.isFinite(mu) && mu >= 0))
    throw ValidationError.field(field, `must be a finite number >= 0, got ${mu}`);
  return mu;
}

/** (mu / 2) ||w - anchor||^2 and its gradient mu (w - anchor) (accumulated in float64). */
export function proximalTerm(
  w: WeightSet,
  anchor: WeightSet,
  mu: number,
): { value: number; gradient: Float32Array[] } {
  checkProximalMu(mu);
  if (!sameShape(w, anchor))
    throw ValidationError.field('proximalMu', 'weights and anchor differ in shape');
  let sq = 0;
  const gradient = w.map((wi, i) => {
    const g = new Float32Array(wi.length);
    for (let j = 0; j < wi.length; j++) {
      const d = wi[j] - anchor[i][j];
      sq += d * d;
      g[j] = mu * d;
    }
    return g;
  });
  return { value: (mu / 2) * sq, gradient };
}
