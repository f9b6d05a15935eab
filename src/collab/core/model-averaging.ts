import { ValidationError } from '../../platform/errors/domain-error';
import type { RoundAggregate, SiteShare } from './federated-algorithm';
import { weightedAverage } from './weights';

/**
 * The model average of FedAvg (McMahan et al. 2017, Algorithm 1): w = sum_k (n_k / n) w_k over
 * the sites whose updates were accepted, n_k the site's training examples.
 */
export function averageBySamples(shares: readonly SiteShare[]): RoundAggregate {
  const sets = shares.map((s) => {
    if (!s.weights) throw ValidationError.field(`updates.${s.site}.weights`, 'is missing');
    return s.weights;
  });
  return {
    kind: 'weights',
    weights: weightedAverage(
      sets,
      shares.map((s) => s.samples),
    ),
  };
}

export function positiveInteger(field: string, v: number): number {
  if (!Number.isInteger(v) || v < 1)
    throw ValidationError.field(field, `must be a positive integer, got ${v}`);
  return v;
}

export function positiveNumber(field: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0))
    throw ValidationError.field(field, `must be a positive number, got ${v}`);
  return v;
}
