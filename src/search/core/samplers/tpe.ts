/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), a port of Optuna 5.0's TPESampler
 * (samplers/_tpe/sampler.py) with its defaults:
 *  - `nStartupTrials` (10) random trials, counted over complete + pruned trials;
 *  - the trials (complete, pruned, and with `constantLiar`, the default, the other running ones)
 *    are split into a good group of gamma(n) = min(ceil(0.1 n), 25) trials (no cap with several
 *    objectives), n = the finished ones: complete feasible trials best first, then pruned trials
 *    (deeper step first, then value), then infeasible ones by total violation; running trials are
 *    always in the bad group. A Parzen estimator l(x) is fitted on the good group and g(x) on the
 *    rest (weights ramp up with recency past 25 observations), `nEiCandidates` (24) draws from l(x)
 *    are scored by log l(x) - log g(x) and the best wins;
 *  - `multivariate` (default: true with one objective, false with several, as Optuna 5): one
 *    joint estimator over the intersection of the finished trials' spaces; parameters outside it
 *    (conditional ones) are sampled one at a time (univariate), fitted on the trials that have them.
 * Deliberate differences (docs/search.md): in multi-objective studies the last non-dominated rank
 * of the good group is cut by crowding distance (Optuna: hypervolume subset selection); a trial
 * whose parameter had another distribution is not an observation of that parameter; the random
 * stream is our seeded PCG, not NumPy's Mersenne Twister.
 */
import { Rng } from '../../../platform/core/rng';
import {
  Distribution,
  ParamValue,
  isSingle,
  sameDistribution,
  snap,
  toInternal,
} from '../distributions';
import { crowdingDistance, nonDominatedRanks, toMinimize } from '../multi-objective';
import { SettingsReader } from '../settings';
import { StudyView } from '../study-view';
import { Direction, FrozenTrial, TrialState, lastStep, violation } from '../trial';
import { ParzenEstimator, ParzenParameters } from './parzen-estimator';
import { sampleUniform } from './random';
import { sampleStratified } from './stratified-startup';
import { EMPTY_SAMPLE, RelativeSample, Sampler } from '../sampler';

export class TpeSampler implements Sampler {
  readonly name: string = 'tpe';
  private readonly rng: Rng;
  private readonly nStartupTrials: number;
  private readonly nEiCandidates: number;
  private readonly gammaFraction: number;
  /** Undefined: 25 with one objective, no cap with several (Optuna 5's two gamma functions). */
  private readonly gammaMax?: number;
  private readonly constantLiar: boolean;
  private readonly startup: 'random' | 'stratified';
  /** Undefined: multivariate with one objective, univariate with several (Optuna 5). */
  private readonly multivariate?: boolean;
  private readonly parzen: ParzenParameters;
  /** The split depends only on the snapshot, so it is computed once per snapshot and trial. */
  private readonly splits = new WeakMap<
    StudyView,
    { trial: number; below: Observed[]; above: Observed[] }
  >();
  private readonly observed = new ObservedTrials();

  private readonly intersection = new FinishedIntersection(['complete', 'pruned']);

  constructor(settings: unknown = {}) {
    const s = new SettingsReader(settings);
    this.rng = new Rng(s.int('seed', 0));
    this.nStartupTrials = s.int('nStartupTrials', 10, 0);
    this.nEiCandidates = s.int('nEiCandidates', 24, 1, 10000);
    this.gammaFraction = s.number('gamma', 0.1, { min: 0, max: 1, exclusiveMin: true });
    this.gammaMax = s.value('gammaMax') === undefined ? undefined : s.int('gammaMax', 25, 1);
    this.constantLiar = s.bool('constantLiar', true);
    this.startup = s.oneOf('startup', 'stratified', ['stratified', 'random']);
    this.multivariate =
      s.value('multivariate') === undefined ? undefined : s.bool('multivariate', true);
    this.parzen = {
      priorWeight: s.number('priorWeight', 1, { min: 0, exclusiveMin: true }),
      considerMagicClip: s.bool('considerMagicClip', true),
      considerEndpoints: s.bool('considerEndpoints', false),
    };
    s.done();
  }

  sampleRelative(view: StudyView, trial: FrozenTrial): RelativeSample {
    if (!(this.multivariate ?? view.directions.length === 1)) return EMPTY_SAMPLE;
    if (finishedCount(view) < this.nStartupTrials) return EMPTY_SAMPLE;
    const space = this.intersection.of(view);
    if (Object.keys(space).length === 0) return EMPTY_SAMPLE;
    const values = this.sampleTpe(view, trial, space);
    const params: RelativeSample['params'] = {};
    for (const [name, d] of Object.entries(space))
      params[name] = { distribution: d, value: values[name] };
    return { params };
  }

  sampleIndependent(
    view: StudyView,
    trial: FrozenTrial,
    name: string,
    d: Distribution,
  ): ParamValue {
    if (finishedCount(view) < this.nStartupTrials)
      return this.startup === 'stratified'
        ? sampleStratified(this.rng, view, trial, name, d, Math.max(1, this.nStartupTrials))
        : sampleUniform(this.rng, d);
    return this.sampleTpe(view, trial, { [name]: d })[name];
  }

  /**
   * log l(x) - log g(x) at the given points (internal values, per parameter), with the estimators
   * the next draw for `trial` would use: what TPE maximises over its candidates.
   */
  logLikelihoodRatio(
    view: StudyView,
    trial: FrozenTrial,
    space: Record<string, Distribution>,
    points: Record<string, number[]>,
  ): number[] {
    const { l, g } = this.estimators(view, trial, space);
    const xs = Object.keys(space).map((n) => points[n]);
    const ll = l.logPdf(xs);
    const lg = g.logPdf(xs);
    return ll.map((v, j) => v - lg[j]);
  }

  private sampleTpe(
    view: StudyView,
    trial: FrozenTrial,
    space: Record<string, Distribution>,
  ): Record<string, ParamValue> {
    const { l, g } = this.estimators(view, trial, space);
    const candidates = l.sample(this.rng, this.nEiCandidates);
    const ll = l.logPdf(candidates);
    const lg = g.logPdf(candidates);
    let best = 0;
    for (let j = 1; j < ll.length; j++) if (ll[j] - lg[j] > ll[best] - lg[best]) best = j;
    const out: Record<string, ParamValue> = {};
    Object.entries(space).forEach(([n, d], i) => (out[n] = fromCandidate(d, candidates[i][best])));
    return out;
  }

  private estimators(
    view: StudyView,
    trial: FrozenTrial,
    space: Record<string, Distribution>,
  ): { l: ParzenEstimator; g: ParzenEstimator } {
    const { below, above } = this.splitEntries(view, trial);
    const names = Object.keys(space);
    const dists = names.map((n) => space[n]);
    const has = (e: Observed): boolean => {
      for (let i = 0; i < names.length; i++) {
        const p = e.params.get(names[i]);
        if (p === undefined || (p.d !== dists[i] && !sameDistribution(p.d, dists[i]))) return false;
      }
      return true;
    };
    const belowT = below.filter(has);
    const aboveT = above.filter(has);
    const obs = (es: Observed[]) =>
      names.map((name) => es.map((e) => (e.params.get(name) as ObservedParam).x));
    // Optuna 5 weighs every good trial 1 with several objectives (its MOTPE hypervolume weights
    // are gone); with one objective the good group has <= 25 trials, so the ramp is flat too.
    const wBelow =
      view.directions.length > 1
        ? new Array<number>(belowT.length).fill(1)
        : defaultWeights(belowT.length);
    return {
      l: new ParzenEstimator(obs(belowT), dists, wBelow, this.parzen),
      g: new ParzenEstimator(obs(aboveT), dists, defaultWeights(aboveT.length), this.parzen),
    };
  }

  /** Optuna 5's _split_trials: orders trials best-first and cuts at gamma(n) (good, bad). */
  split(view: StudyView, trial: FrozenTrial): { below: FrozenTrial[]; above: FrozenTrial[] } {
    const { below, above } = this.splitEntries(view, trial);
    return { below: below.map((e) => e.trial), above: above.map((e) => e.trial) };
  }

  private splitEntries(
    view: StudyView,
    trial: FrozenTrial,
  ): { below: Observed[]; above: Observed[] } {
    const cached = this.splits.get(view);
    if (cached && cached.trial === trial.number) return cached;
    const complete: Observed[] = [];
    const pruned: Observed[] = [];
    const infeasible: Observed[] = [];
    const running: Observed[] = [];
    for (const e of this.observed.of(view)) {
      if (e.violation > 0) infeasible.push(e);
      else if (e.trial.state === 'complete') complete.push(e);
      else pruned.push(e);
    }
    if (this.constantLiar)
      for (const t of view.trials)
        if (t.state === 'running' && t.number !== trial.number) running.push(observe(t));
    const n = complete.length + pruned.length + infeasible.length;
    const cap = this.gammaMax ?? (view.directions.length > 1 ? Infinity : 25);
    const nBelow = Math.min(Math.ceil(this.gammaFraction * n), cap);
    const ordered = [
      ...orderComplete(complete, view),
      ...orderPruned(pruned),
      ...infeasible.sort((a, b) => a.violation - b.violation || a.number - b.number),
    ];
    // Each group is kept in trial-number order, which the recency weights follow.
    const byNumber = (a: Observed, b: Observed) => a.number - b.number;
    const result = {
      trial: trial.number,
      below: ordered.slice(0, nBelow).sort(byNumber),
      above: [...ordered.slice(nBelow), ...running].sort(byNumber),
    };
    this.splits.set(view, result);
    return result;
  }
}

interface ObservedParam {
  d: Distribution;
  /** Internal value (categorical: the choice's index). */
  x: number;
}

/**
 * What TPE reads of a trial, copied once into a plain record: trial objects from a storage come
 * in many shapes, and reading them 10,000 times per ask dominated the sampler's time.
 */
interface Observed {
  trial: FrozenTrial;
  number: number;
  /** Objective values turned into minimisation (undefined for pruned / running trials). */
  losses?: number[];
  violation: number;
  /** Last reported step and its first value, minimised (NaN read as +inf, as Optuna). */
  lastStep: number;
  lastLoss: number;
  params: Map<string, ObservedParam>;
}

function observe(t: FrozenTrial, directions?: readonly Direction[]): Observed {
  const params = new Map<string, ObservedParam>();
  for (const [name, d] of Object.entries(t.distributions))
    params.set(name, { d, x: toInternal(d, t.params[name]) });
  const step = lastStep(t);
  const sign = directions?.[0] === 'maximize' ? -1 : 1;
  const last = t.intermediate[t.intermediate.length - 1];
  return {
    trial: t,
    number: t.number,
    losses: t.values && directions ? toMinimize(t.values, directions) : undefined,
    violation: t.constraints === undefined ? 0 : violation(t),
    lastStep: step ?? -Infinity,
    lastLoss: step === undefined ? Infinity : nanToInf(sign * last.values[0]),
    params,
  };
}

/**
 * The complete (with values) and pruned trials of a study as Observed records, cached by trial
 * number: a finished trial never changes, so each is read once.
 */
class ObservedTrials {
  private studyId?: string;
  private byNumber: (Observed | undefined)[] = [];

  of(view: StudyView): Observed[] {
    if (this.studyId !== view.studyId) {
      this.studyId = view.studyId;
      this.byNumber = [];
    }
    const out: Observed[] = [];
    for (const t of view.trials) {
      let e = this.byNumber[t.number];
      if (e === undefined) {
        if (t.state === 'pruned' || (t.state === 'complete' && t.values !== undefined)) {
          e = observe(t, view.directions);
          this.byNumber[t.number] = e;
        } else continue;
      }
      out.push(e);
    }
    return out;
  }
}

/** Multivariate TPE under its own API name (same class, `multivariate: true` by default). */
export class MultivariateTpeSampler extends TpeSampler {
  override readonly name: string = 'tpe-multivariate';
  constructor(settings: unknown = {}) {
    const s = settings && typeof settings === 'object' && !Array.isArray(settings) ? settings : {};
    super({ multivariate: true, ...s });
  }
}

/**
 * intersectionSpace() of a study's trials in the given finished states, kept up to date with the
 * newly finished ones only (a finished trial never changes), as Optuna's IntersectionSearchSpace
 * caches it: at 10,000 trials a full recomputation per ask costs more than the sampling.
 */
export class FinishedIntersection {
  private cache?: { studyId: string; seen: Set<number>; space?: Record<string, Distribution> };

  constructor(private readonly states: readonly TrialState[]) {}

  of(view: StudyView): Record<string, Distribution> {
    if (this.cache?.studyId !== view.studyId)
      this.cache = { studyId: view.studyId, seen: new Set() };
    const c = this.cache;
    for (const t of view.trials) {
      if (!this.states.includes(t.state) || c.seen.has(t.number)) continue;
      c.seen.add(t.number);
      c.space = intersectionSpace(c.space ? [{ ...t, distributions: c.space }, t] : [t]);
    }
    return c.space ?? {};
  }
}

/** Complete + pruned trials: what Optuna counts against n_startup_trials. */
function finishedCount(view: StudyView): number {
  let n = 0;
  for (const t of view.trials) if (t.state === 'complete' || t.state === 'pruned') n++;
  return n;
}

/** One objective: by value (ties by number). Several: non-dominated rank, then crowding distance. */
function orderComplete(es: Observed[], view: StudyView): Observed[] {
  const losses = es.map((e) => e.losses as number[]);
  if (view.directions.length === 1)
    return es
      .map((e, i) => ({ e, v: losses[i][0] }))
      .sort((a, b) => a.v - b.v || a.e.number - b.e.number)
      .map((x) => x.e);
  const ranks = nonDominatedRanks(losses);
  const crowd = new Array<number>(es.length).fill(0);
  const byRank = new Map<number, number[]>();
  ranks.forEach((r, i) => {
    const list = byRank.get(r);
    if (list) list.push(i);
    else byRank.set(r, [i]);
  });
  for (const idx of byRank.values()) {
    const cd = crowdingDistance(idx.map((i) => losses[i]));
    idx.forEach((i, k) => (crowd[i] = cd[k]));
  }
  return es
    .map((e, i) => ({ e, r: ranks[i], c: crowd[i] }))
    .sort((a, b) => a.r - b.r || b.c - a.c || a.e.number - b.e.number)
    .map((x) => x.e);
}

/** Deeper step first, then the value at that step; trials without any report last. */
function orderPruned(es: Observed[]): Observed[] {
  return es
    .slice()
    .sort((a, b) => b.lastStep - a.lastStep || a.lastLoss - b.lastLoss || a.number - b.number);
}

/** Optuna ranks a pruned trial whose last intermediate value is NaN as if it were +inf. */
function nanToInf(v: number): number {
  return Number.isNaN(v) ? Infinity : v;
}

/** Optuna's default_weights: flat for the 25 most recent, a linear ramp for older ones. */
export function defaultWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  for (let i = 0; i < ramp; i++)
    out.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

/**
 * Parameters every given trial has with the same distribution (Optuna's IntersectionSearchSpace,
 * which Optuna 5's TPE takes over complete and pruned trials).
 */
export function intersectionSpace(trials: readonly FrozenTrial[]): Record<string, Distribution> {
  if (trials.length === 0) return {};
  const out: Record<string, Distribution> = {};
  for (const [name, d] of Object.entries(trials[0].distributions)) {
    if (isSingle(d)) continue;
    if (
      trials.every(
        (t) => Object.hasOwn(t.distributions, name) && sameDistribution(t.distributions[name], d),
      )
    )
      out[name] = d;
  }
  return out;
}

/** A candidate's internal value back to a parameter value (snapped onto the distribution). */
function fromCandidate(d: Distribution, x: number): ParamValue {
  return d.type === 'categorical' ? d.choices[x] : snap(d, x);
}
