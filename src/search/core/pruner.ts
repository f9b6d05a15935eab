/**
 * The pruner family (Optuna's BasePruner). `prune` runs after each `trial.report()` and decides
 * from the trial's intermediate values and the other trials' ones. Pruners that keep per-trial
 * bookkeeping (ASHA's rung values) return it as system attributes; the study stores them.
 */
import { ValidationError } from '../../platform/errors/domain-error';
import { SettingsReader } from './settings';
import { StudyView } from './study-view';
import { FrozenTrial, JsonValue } from './trial';

export interface PruneDecision {
  prune: boolean;
  systemAttrs?: Record<string, JsonValue>;
}

export interface Pruner {
  readonly name: string;
  prune(view: StudyView, trial: FrozenTrial): PruneDecision;
}

/**
 * Which objective a pruner compares in a multi-objective study: an index, or `pareto` to compare
 * by non-dominated rank among the competing intermediate vectors (Optuna only prunes
 * single-objective studies).
 */
export type PruneTarget = number | 'pareto';

export function readTarget(s: SettingsReader): PruneTarget {
  const value = s.value('objective');
  if (value === undefined) return 0;
  if (value === 'pareto') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  throw ValidationError.field(
    'objective',
    `must be a non-negative objective index or "pareto", got ${JSON.stringify(value)}`,
  );
}
