/**
 * Percentile pruning (Optuna's PercentilePruner): after `nStartupTrials` complete trials and
 * `nWarmupSteps` steps, at the first report of each `intervalSteps` window, prune when the trial's
 * best intermediate value so far is worse than the given percentile (linear interpolation, as
 * numpy) of the complete trials' values at the same step (needs `nMinTrials` of them).
 * Multi-objective: compare on `objective` (an index), or with `pareto` compare the trial's latest
 * vector's non-dominated rank among {complete trials' vectors at that step, itself} with the
 * percentile of the others' ranks.
 */
import { nonDominatedRanks, toMinimize } from '../multi-objective';
import { SettingsReader } from '../settings';
import { StudyView } from '../study-view';
import { FrozenTrial, intermediateAt, lastStep } from '../trial';
import { PruneDecision, PruneTarget, Pruner, readTarget } from '../pruner';

export interface PercentileSettings {
  percentile: number;
  nStartupTrials: number;
  nWarmupSteps: number;
  intervalSteps: number;
  nMinTrials: number;
  target: PruneTarget;
}

export class PercentilePruner implements Pruner {
  readonly name: string = 'percentile';
  protected readonly cfg: PercentileSettings;

  constructor(settings: unknown = {}, fixedPercentile?: number) {
    const s = new SettingsReader(settings);
    this.cfg = {
      percentile: fixedPercentile ?? s.number('percentile', 25, { min: 0, max: 100 }),
      nStartupTrials: s.int('nStartupTrials', 5, 0),
      nWarmupSteps: s.int('nWarmupSteps', 0, 0),
      intervalSteps: s.int('intervalSteps', 1, 1),
      nMinTrials: s.int('nMinTrials', 1, 1),
      target: readTarget(s),
    };
    s.done();
  }

  prune(view: StudyView, trial: FrozenTrial): PruneDecision {
    const c = this.cfg;
    const complete = view.trials.filter((t) => t.state === 'complete' && t.number !== trial.number);
    if (complete.length === 0 || complete.length < c.nStartupTrials) return { prune: false };
    const step = lastStep(trial);
    if (step === undefined || step < c.nWarmupSteps) return { prune: false };
    if (!firstInInterval(step, trial, c.nWarmupSteps, c.intervalSteps)) return { prune: false };
    const others = complete
      .map((t) => intermediateAt(t, step))
      .filter((v): v is number[] => v !== undefined);
    if (others.length < c.nMinTrials) return { prune: false };
    if (c.target === 'pareto') {
      const mine = intermediateAt(trial, step) as number[];
      if (mine.some(Number.isNaN)) return { prune: true };
      const ranks = nonDominatedRanks([...others, mine].map((v) => toMinimize(v, view.directions)));
      const myRank = ranks[ranks.length - 1];
      return { prune: myRank > percentile(ranks.slice(0, -1), c.percentile) };
    }
    const k = c.target;
    const maximize = view.directions[k] === 'maximize';
    const best = bestOverSteps(trial, k, maximize);
    if (Number.isNaN(best)) return { prune: true };
    const p = percentile(
      others.map((v) => v[k]).filter((v) => !Number.isNaN(v)),
      maximize ? 100 - c.percentile : c.percentile,
    );
    if (Number.isNaN(p)) return { prune: false };
    return { prune: maximize ? best < p : best > p };
  }
}

/** Optuna's _is_first_in_interval_step: only the first report past each interval boundary counts. */
function firstInInterval(
  step: number,
  trial: FrozenTrial,
  warmup: number,
  interval: number,
): boolean {
  const nearestLower = Math.floor((step - warmup) / interval) * interval + warmup;
  let secondLast = -1;
  for (const iv of trial.intermediate)
    if (iv.step > secondLast && iv.step !== step) secondLast = iv.step;
  return secondLast < nearestLower;
}

function bestOverSteps(trial: FrozenTrial, k: number, maximize: boolean): number {
  let best = NaN;
  for (const iv of trial.intermediate) {
    const v = iv.values[k];
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(best) || (maximize ? v > best : v < best)) best = v;
  }
  return best;
}

/** numpy.percentile with linear interpolation; NaN for an empty list. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = values.slice().sort((a, b) => a - b);
  const pos = (q / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
