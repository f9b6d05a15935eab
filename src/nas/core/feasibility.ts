/**
 * Constraints computable from the architecture alone (parameter count and FLOPs, src/ml/flops.ts):
 * a candidate over such a budget is refused when it is drawn, before it becomes a trial, and the
 * sampler draws again (Study.askFromSpace's `reject`), so no trial of the budget is spent on it.
 * Measured costs (latencyMs: on the worker that trains, which may not be the driver's machine)
 * cannot be known when drawing; those candidates are trained and recorded infeasible with their
 * constraint values, as Optuna does.
 */
import { ValidationError } from '../../platform/errors/domain-error';
import { ParamValue } from '../../search/core/distributions';
import { staticCost } from './latency-cost';
import { NasConstraint } from './objectives';
import { ArchitectureSpace } from './spaces/architecture-space';

export const STATIC_COST_METRICS = ['params', 'flops'] as const;

export function isStaticConstraint(c: NasConstraint): c is NasConstraint & {
  metric: (typeof STATIC_COST_METRICS)[number];
} {
  return (STATIC_COST_METRICS as readonly string[]).includes(c.metric);
}

/**
 * The `reject` function for a NAS study (undefined when no constraint is static): builds the
 * candidate's model for the data's shape, counts its parameters and FLOPs and returns e.g.
 * "params > 5000" for the first budget it breaks. Parameters the space cannot decode or compile
 * are accepted: that trial fails as before, with the space's message.
 */
export function staticConstraintRejecter(
  space: ArchitectureSpace,
  constraints: readonly NasConstraint[],
  shape: { inputShape: number[]; numClasses: number },
): ((params: Readonly<Record<string, ParamValue>>) => string | undefined) | undefined {
  const statics = constraints.filter(isStaticConstraint);
  if (statics.length === 0) return undefined;
  return (params) => {
    let cost: { params: number; flops: number };
    try {
      const model = space.compile(space.decode(params), { ...shape, seed: 0 });
      try {
        cost = staticCost(model);
      } finally {
        model.dispose();
      }
    } catch (e) {
      if (e instanceof ValidationError) return undefined;
      throw e;
    }
    const broken = statics.find((c) => cost[c.metric] > c.max);
    return broken ? `${broken.metric} > ${broken.max}` : undefined;
  };
}
