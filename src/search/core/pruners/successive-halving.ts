/**
 * Asynchronous Successive Halving (ASHA, Li et al. 2020, "A System for Massively Parallel
 * Hyperparameter Tuning"), as Optuna's SuccessiveHalvingPruner: rung r is reached at step
 * minResource * reductionFactor^(minEarlyStoppingRate + r). On reaching it the trial records its
 * value for that rung and continues only if it is in the top 1/reductionFactor of all values
 * recorded at that rung so far (the best one always continues); otherwise it is pruned.
 * `minResource: "auto"` = max(1, floor(last step of the longest complete trial / 100)).
 * With `objective: "pareto"` the rung stores the whole vector and "top" means a non-dominated
 * rank reached by at most that fraction of the competitors.
 */
import { ValidationError } from '../../../platform/errors/domain-error';
import { nonDominatedRanks, toMinimize } from '../multi-objective';
import { SettingsReader } from '../settings';
import { StudyView } from '../study-view';
import { FrozenTrial, JsonValue, lastStep } from '../trial';
import { PruneDecision, PruneTarget, Pruner, readTarget } from '../pruner';

const RUNG = 'asha:rung_';

export class SuccessiveHalvingPruner implements Pruner {
  readonly name = 'successive-halving';
  private minResource?: number;
  readonly reductionFactor: number;
  readonly minEarlyStoppingRate: number;
  readonly bootstrapCount: number;
  private readonly target: PruneTarget;

  constructor(settings: unknown = {}) {
    const s = new SettingsReader(settings);
    const mr = s.value('minResource');
    if (
      mr !== undefined &&
      mr !== 'auto' &&
      !(typeof mr === 'number' && Number.isInteger(mr) && mr >= 1)
    ) {
      throw ValidationError.field(
        'minResource',
        `must be a positive integer or "auto", got ${JSON.stringify(mr)}`,
      );
    }
    this.minResource = typeof mr === 'number' ? mr : undefined;
    this.reductionFactor = s.int('reductionFactor', 4, 2);
    this.minEarlyStoppingRate = s.int('minEarlyStoppingRate', 0, 0);
    this.bootstrapCount = s.int('bootstrapCount', 0, 0);
    this.target = readTarget(s);
    s.done();
  }

  prune(view: StudyView, trial: FrozenTrial): PruneDecision {
    const step = lastStep(trial);
    if (step === undefined) return { prune: false };
    if (this.minResource === undefined) {
      const steps = view.trials
        .filter((t) => t.state === 'complete')
        .map(lastStep)
        .filter((s): s is number => s !== undefined);
      if (steps.length === 0) return { prune: false };
      this.minResource = Math.max(1, Math.floor(Math.max(...steps) / 100));
    }
    const values = trial.intermediate[trial.intermediate.length - 1].values;
    const mine: JsonValue = this.target === 'pareto' ? values : values[this.target];
    let rung = Object.keys(trial.systemAttrs).filter((k) => k.startsWith(RUNG)).length;
    const attrs: Record<string, JsonValue> = {};
    for (;;) {
      const promotionStep =
        this.minResource * this.reductionFactor ** (this.minEarlyStoppingRate + rung);
      if (step < promotionStep) return { prune: false, systemAttrs: attrs };
      if (values.some(Number.isNaN)) return { prune: true, systemAttrs: attrs };
      const key = `${RUNG}${rung}`;
      attrs[key] = mine;
      const competing: JsonValue[] = view.trials
        .filter((t) => t.number !== trial.number && t.systemAttrs[key] !== undefined)
        .map((t) => t.systemAttrs[key]);
      competing.push(mine);
      if (competing.length <= this.bootstrapCount) return { prune: true, systemAttrs: attrs };
      if (!this.promotable(mine, competing, view)) return { prune: true, systemAttrs: attrs };
      rung++;
    }
  }

  private promotable(mine: JsonValue, competing: JsonValue[], view: StudyView): boolean {
    let idx = Math.floor(competing.length / this.reductionFactor) - 1;
    if (idx === -1) idx = 0;
    if (this.target === 'pareto') {
      const ranks = nonDominatedRanks(
        competing.map((v) => toMinimize(v as number[], view.directions)),
      );
      const myRank = ranks[ranks.length - 1];
      return ranks.filter((r) => r < myRank).length <= idx;
    }
    const sorted = (competing as number[]).slice().sort((a, b) => a - b);
    if (view.directions[this.target] === 'maximize')
      return (mine as number) >= sorted[sorted.length - 1 - idx];
    return (mine as number) <= sorted[idx];
  }
}
