/**
 * NAS objectives and constraints:
 *   { kind: "accuracy" }                               maximise validation accuracy;
 *   { kind: "multi", costs: ["flops", ...] }          Pareto front of accuracy (max) vs costs (min);
 *   { kind: "scalarised", cost, lambda }               maximise accuracy - lambda * cost;
 * and constraints [{ metric, max }] = "cost <= budget" (their form is checked by the nas schema,
 * src/nas/nas.schema.ts), stored as Optuna-style constraint values (metric - max, feasible when
 * <= 0), so samplers prefer feasible regions and the study never reports an infeasible best.
 */
import { FieldProblem } from '../../platform/errors/domain-error';
import { Direction } from '../../search/core/trial';
import { ArchitectureCost, COST_METRICS, CostMetric } from './latency-cost';
import { checkChoice, checkKeys, objectAt, throwProblems } from './spaces/architecture-space';

export type NasObjective =
  | { kind: 'accuracy' }
  | { kind: 'multi'; costs: CostMetric[] }
  | { kind: 'scalarised'; cost: CostMetric; lambda: number };

export interface NasConstraint {
  metric: CostMetric;
  max: number;
}

const KINDS = ['accuracy', 'multi', 'scalarised'] as const;

export function parseObjective(json: unknown, path = 'objective'): NasObjective {
  if (json === undefined) return { kind: 'accuracy' };
  const problems: FieldProblem[] = [];
  const o = objectAt(json, path, problems);
  throwProblems(problems);
  const obj = o as Record<string, unknown>;
  if (!checkChoice(obj.kind, KINDS, `${path}.kind`, problems)) throwProblems(problems);
  if (obj.kind === 'accuracy') {
    checkKeys(obj, ['kind'], path, problems);
    throwProblems(problems);
    return { kind: 'accuracy' };
  }
  if (obj.kind === 'multi') {
    checkKeys(obj, ['kind', 'costs'], path, problems);
    const costs = obj.costs;
    if (!Array.isArray(costs) || costs.length === 0)
      problems.push({
        field: `${path}.costs`,
        message: `must be a non-empty array of ${COST_METRICS.join(', ')}`,
      });
    else {
      costs.forEach((c, i) => checkChoice(c, COST_METRICS, `${path}.costs[${i}]`, problems));
      if (new Set(costs).size !== costs.length)
        problems.push({ field: `${path}.costs`, message: 'must not repeat a metric' });
    }
    throwProblems(problems);
    return { kind: 'multi', costs: costs as CostMetric[] };
  }
  checkKeys(obj, ['kind', 'cost', 'lambda'], path, problems);
  checkChoice(obj.cost, COST_METRICS, `${path}.cost`, problems);
  if (typeof obj.lambda !== 'number' || !Number.isFinite(obj.lambda) || obj.lambda < 0)
    problems.push({
      field: `${path}.lambda`,
      message: `must be a finite number >= 0, got ${JSON.stringify(obj.lambda)}`,
    });
  throwProblems(problems);
  return { kind: 'scalarised', cost: obj.cost as CostMetric, lambda: obj.lambda as number };
}

export function objectiveDirections(o: NasObjective): Direction[] {
  return o.kind === 'multi'
    ? ['maximize', ...o.costs.map((): Direction => 'minimize')]
    : ['maximize'];
}

/** Metric names of the objective values, in order (for leaderboards and charts). */
export function objectiveNames(o: NasObjective): string[] {
  if (o.kind === 'multi') return ['accuracy', ...o.costs];
  return o.kind === 'scalarised' ? [`accuracy - ${o.lambda} * ${o.cost}`] : ['accuracy'];
}

function costOf(cost: ArchitectureCost, metric: CostMetric): number {
  const v = cost[metric];
  if (v === undefined) throw new Error(`cost metric ${metric} was not measured`);
  return v;
}

export function objectiveValues(
  o: NasObjective,
  accuracy: number,
  cost: ArchitectureCost,
): number[] {
  if (o.kind === 'accuracy') return [accuracy];
  if (o.kind === 'scalarised') return [accuracy - o.lambda * costOf(cost, o.cost)];
  return [accuracy, ...o.costs.map((m) => costOf(cost, m))];
}

/** Constraint values metric - max (feasible when every one is <= 0). */
export function constraintValues(
  constraints: readonly NasConstraint[],
  cost: ArchitectureCost,
): number[] {
  return constraints.map((c) => costOf(cost, c.metric) - c.max);
}

export function needsLatency(o: NasObjective, constraints: readonly NasConstraint[]): boolean {
  const used = new Set<CostMetric>(constraints.map((c) => c.metric));
  if (o.kind === 'multi') o.costs.forEach((c) => used.add(c));
  if (o.kind === 'scalarised') used.add(o.cost);
  return used.has('latencyMs');
}
