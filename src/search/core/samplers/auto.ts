/**
 * `auto`: picks a sampler per trial from the study's shape and size, after Optuna's AutoSampler
 * (OptunaHub samplers/auto_sampler), and records the choice on the trial (system attribute
 * `auto:sampler`, returned by the API as the trial's `sampler`):
 *  - several objectives: NSGA-II for 2, NSGA-III for 3 or more;
 *  - a conditional space (parameters active only for some parents' values): multivariate TPE with
 *    the constant liar (running trials count as bad ones, so parallel asks spread out);
 *  - otherwise, while fewer than `gpMaxTrials` trials are complete: the GP sampler (with kriging
 *    believer batches); categorical parameters included (its Hamming kernel handles them). But
 *    from `gpCheckTrials` complete trials on, the GP must earn its place: when its leave-one-out
 *    log predictive density beats the model-free one by less than `gpMinLooGain` nats per trial
 *    (gp-fit-quality.ts), the GP cannot predict the objective (rugged or multimodal at the scale
 *    of the data: Rastrigin, Michalewicz) and its expected improvement only explores the box's
 *    corners, so multivariate TPE proposes the trial instead; the check is made again per trial,
 *    so the GP comes back once the data let it fit;
 *  - after that: CMA-ES for numeric spaces, warm-started at the mean of the best 10% of the earlier
 *    trials with a step size from their spread (the earlier trials are only a start: CMA-ES
 *    replays its own), multivariate TPE with the constant liar when there are categoricals.
 * Every choice is a function of the stored trials, so any worker or a restarted driver makes the
 * same one; prior trials of a warm start count as observations for GP and TPE.
 */
import { Rng } from '../../../platform/core/rng';
import { Distribution, NumericDistribution, ParamValue, toUnit } from '../distributions';
import { SettingsReader } from '../settings';
import { StudyView } from '../study-view';
import { FrozenTrial, isFeasible } from '../trial';
import { CmaEsSampler } from './cmaes';
import { relativeSpace } from './gp-encoding';
import { gpLooGain } from './gp-fit-quality';
import { GpSampler } from './gp-sampler';
import { Nsga2Sampler } from './nsga2';
import { Nsga3Sampler } from './nsga3';
import { RelativeSample, Sampler } from '../sampler';
import { TpeSampler } from './tpe';

export const AUTO_CHOICE = 'auto:sampler';
export type AutoChoice = 'gp' | 'tpe' | 'cmaes' | 'nsga2' | 'nsga3';

export class AutoSampler implements Sampler {
  readonly name = 'auto';
  private readonly seed: number;
  private readonly gpMaxTrials: number;
  private readonly gpCheckTrials: number;
  private readonly gpMinLooGain: number;
  private readonly chosen = new Map<number, AutoChoice>();
  private readonly delegates = new Map<AutoChoice, Sampler>();

  constructor(settings: unknown = {}) {
    const s = new SettingsReader(settings);
    this.seed = s.int('seed', 0);
    this.gpMaxTrials = s.int('gpMaxTrials', 200, 1, 100000);
    this.gpCheckTrials = s.int('gpCheckTrials', 20, 3, 100000);
    // 0.5 nats: the GP's LOO predictive sd about e^-0.5 = 0.6 of the values' spread, or better
    // calibrated. On the benchmark suite (40 trials) the GP's gain is 0.5-2.4 where it beats
    // TPE (Hartmann, Branin, Levy, Zakharov, Dixon-Price) and 0.0-0.5 on Rastrigin-4 and
    // Michalewicz-5, where it lost to TPE (docs/benchmarks.md).
    this.gpMinLooGain = s.number('gpMinLooGain', 0.5);
    s.done();
  }

  sampleRelative(view: StudyView, trial: FrozenTrial): RelativeSample {
    const { choice, sampler } = this.forTrial(view, trial);
    const rel = sampler.sampleRelative(choice === 'tpe' ? withPriors(view) : view, trial);
    return { params: rel.params, systemAttrs: { ...rel.systemAttrs, [AUTO_CHOICE]: choice } };
  }

  sampleIndependent(
    view: StudyView,
    trial: FrozenTrial,
    name: string,
    distribution: Distribution,
  ): ParamValue {
    const { choice, sampler } = this.forTrial(view, trial);
    return sampler.sampleIndependent(
      choice === 'tpe' ? withPriors(view) : view,
      trial,
      name,
      distribution,
    );
  }

  /** The choice for a study snapshot (exported for the tests and the docs' table). */
  choose(view: StudyView): AutoChoice {
    if (view.directions.length > 1) return view.directions.length === 2 ? 'nsga2' : 'nsga3';
    if (isConditional(view)) return 'tpe';
    const complete = view.trials.filter((t) => t.state === 'complete').length;
    const prior = view.priorTrials?.length ?? 0;
    if (complete + prior < this.gpMaxTrials) {
      if (complete + prior < this.gpCheckTrials) return 'gp';
      const gain = gpLooGain(view);
      return gain === undefined || gain >= this.gpMinLooGain ? 'gp' : 'tpe';
    }
    // CMA-ES has no categorical model; TPE scales to long runs where the GP's O(n^3) does not.
    const numeric = Object.values(relativeSpace(view)).every((d) => d.type !== 'categorical');
    return numeric ? 'cmaes' : 'tpe';
  }

  private forTrial(view: StudyView, trial: FrozenTrial): { choice: AutoChoice; sampler: Sampler } {
    let choice = this.chosen.get(trial.number);
    if (!choice) {
      choice = this.choose(view);
      this.chosen.set(trial.number, choice);
      if (this.chosen.size > 64) this.chosen.delete(this.chosen.keys().next().value as number);
    }
    // One delegate per choice for this instance's life, so its random stream advances across trials.
    let sampler = this.delegates.get(choice);
    if (!sampler) {
      sampler = this.build(choice, view);
      this.delegates.set(choice, sampler);
    }
    return { choice, sampler };
  }

  private build(choice: AutoChoice, view: StudyView): Sampler {
    const seed = new Rng(this.seed).fork(choice).uint32();
    switch (choice) {
      case 'gp':
        return new GpSampler({ seed });
      case 'tpe':
        return new TpeSampler({ seed, multivariate: true, constantLiar: true });
      case 'nsga2':
        return new Nsga2Sampler({ seed });
      case 'nsga3':
        return new Nsga3Sampler({ seed });
      case 'cmaes':
        return new CmaEsSampler({ seed, ...cmaWarmStart(view) });
    }
  }
}

/** Conditional when the declared space has parameters under `when`, or, without one, when the
 * complete trials do not all have the same parameter names. */
function isConditional(view: StudyView): boolean {
  if (view.space) return view.space.params.some((p) => Object.keys(p.when).length > 0);
  const keys = new Set(
    view.trials
      .filter((t) => t.state === 'complete')
      .map((t) => Object.keys(t.params).sort().join('\u0000')),
  );
  return keys.size > 1;
}

/**
 * CMA-ES start from the trials before the switch (those no CMA-ES proposed): mean of the best 10%
 * (at least 2) in the unit cube, sigma0 = their mean per-dimension standard deviation, kept in
 * [0.02, 1/6] so the search neither freezes nor forgets the region.
 */
function cmaWarmStart(view: StudyView): { x0?: Record<string, number>; sigma0?: number } {
  const space = relativeSpace(view);
  const names = Object.keys(space).filter((n) => space[n].type !== 'categorical');
  const sign = view.directions[0] === 'maximize' ? -1 : 1;
  const earlier = [...(view.priorTrials ?? []), ...view.trials].filter(
    (t) =>
      t.state === 'complete' &&
      t.values !== undefined &&
      isFeasible(t) &&
      t.systemAttrs[AUTO_CHOICE] !== 'cmaes' &&
      names.every((n) => typeof t.params[n] === 'number'),
  );
  if (earlier.length < 2 || names.length === 0) return {};
  earlier.sort(
    (a, b) => sign * ((a.values as number[])[0] - (b.values as number[])[0]) || a.number - b.number,
  );
  const top = earlier.slice(0, Math.max(2, Math.ceil(0.1 * earlier.length)));
  const x0: Record<string, number> = {};
  let sd = 0;
  for (const n of names) {
    const d = space[n] as NumericDistribution;
    // The mean in the sampler's own coordinates (log where log); CMA-ES maps x0 through toUnit.
    const t = top.map((tr) =>
      d.log ? Math.log(tr.params[n] as number) : (tr.params[n] as number),
    );
    const m = t.reduce((a, v) => a + v, 0) / t.length;
    x0[n] = Math.min(Math.max(d.log ? Math.exp(m) : m, d.low), d.high);
    const u = top.map((tr) => toUnit(d, tr.params[n] as number));
    const mu = u.reduce((a, v) => a + v, 0) / u.length;
    sd += Math.sqrt(u.reduce((a, v) => a + (v - mu) ** 2, 0) / u.length) / names.length;
  }
  return { x0, sigma0: Math.min(Math.max(sd, 0.02), 1 / 6) };
}

/** TPE has no notion of prior trials: they join the history it sees, numbered before trial 0. */
function withPriors(view: StudyView): StudyView {
  const prior = view.priorTrials ?? [];
  if (prior.length === 0) return view;
  const shifted = prior.map((t, i) => ({ ...t, number: i - prior.length, systemAttrs: {} }));
  return { ...view, trials: [...shifted, ...view.trials] };
}
