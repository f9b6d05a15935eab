/**
 * Wilcoxon pruner (Optuna 3.6's WilcoxonPruner) for objectives that are sums or means over
 * instances (cross-validation folds, data sets, seeds): each report's `step` is an instance id and
 * its value the trial's score on that instance. A trial is pruned when, over the instances it
 * shares with the current best trial, its values are worse by a one-sided Wilcoxon signed-rank test
 * (p < `pThreshold`, signed-rank.ts), unless its average over all its instances is not worse than
 * the best trial's (Optuna's safeguard, so the best trial can still be overtaken). Nothing is
 * pruned before `nStartupSteps` shared instances, or while the study has no best trial.
 * Single-objective only, like Optuna's (the objective index can be chosen).
 */
import { ValidationError } from '../../../platform/errors/domain-error';
import { SettingsReader } from '../settings';
import { StudyView } from '../study-view';
import { FrozenTrial, isFeasible } from '../trial';
import { PruneDecision, Pruner, readTarget } from '../pruner';
import { wilcoxonSignedRank } from './signed-rank';

export class WilcoxonPruner implements Pruner {
  readonly name = 'wilcoxon';
  private readonly pThreshold: number;
  private readonly nStartupSteps: number;
  private readonly objective: number;

  constructor(settings: unknown = {}) {
    const s = new SettingsReader(settings);
    this.pThreshold = s.number('pThreshold', 0.1, { min: 0, max: 1 });
    this.nStartupSteps = s.int('nStartupSteps', 2, 0);
    const target = readTarget(s);
    if (target === 'pareto')
      throw ValidationError.field('objective', 'the Wilcoxon pruner compares one objective');
    this.objective = target;
    s.done();
  }

  prune(view: StudyView, trial: FrozenTrial): PruneDecision {
    const k = this.objective;
    const values = trial.intermediate.map((iv) => iv.values[k]);
    if (values.length === 0 || values.some((v) => !Number.isFinite(v))) return { prune: false };
    const maximize = view.directions[k] === 'maximize';
    const best = bestTrial(view, k, maximize, trial.number);
    if (!best || best.intermediate.length === 0) return { prune: false };
    if (values.length < this.nStartupSteps) return { prune: false };
    const bestAt = new Map(best.intermediate.map((iv) => [iv.step, iv.values[k]]));
    const diffs: number[] = [];
    for (const iv of trial.intermediate) {
      const b = bestAt.get(iv.step);
      if (b !== undefined) diffs.push(iv.values[k] - b);
    }
    if (diffs.length < this.nStartupSteps) return { prune: false };
    const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
    const bestMean = mean(best.intermediate.map((iv) => iv.values[k]));
    const averageIsBest = maximize ? bestMean <= mean(values) : bestMean >= mean(values);
    const p = wilcoxonSignedRank(diffs, maximize ? 'less' : 'greater');
    return { prune: p < this.pThreshold && !averageIsBest };
  }
}

function bestTrial(
  view: StudyView,
  k: number,
  maximize: boolean,
  exclude: number,
): FrozenTrial | undefined {
  let best: FrozenTrial | undefined;
  for (const t of view.trials) {
    if (t.state !== 'complete' || t.number === exclude || !t.values || !isFeasible(t)) continue;
    const v = t.values[k];
    const b = best ? (best.values as number[])[k] : undefined;
    if (b === undefined || (maximize ? v > b : v < b)) best = t;
  }
  return best;
}
