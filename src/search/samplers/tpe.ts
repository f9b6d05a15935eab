/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), following Optuna's TPESampler (3.x):
 * `nStartupTrials` random trials, then trials are split into a good group (the best
 * gamma(n) = min(ceil(0.1 n), 25) of the complete + pruned trials) and the rest; a Parzen
 * estimator l(x) is fitted on the good group and g(x) on the rest (weights ramp up with recency
 * past 25 observations), `nEiCandidates` draws from l(x) are scored by log l(x) - log g(x) and the
 * best wins.
 *  - univariate (default): one estimator per parameter, fitted on the trials that have it, so
 *    conditional parameters are modelled only where active; multivariate: one joint estimator over
 *    the intersection of the complete trials' spaces (Falkner et al. 2018 bandwidths, as Optuna).
 *  - pruned trials rank after complete ones (deeper step first, then value at that step);
 *  - constantLiar: other running trials join the bad group, so parallel asks spread out;
 *  - constraints (Optuna's constrained TPE): feasible trials rank before infeasible ones, which rank
 *    by total violation; an infeasible trial in the good group gets a negligible kernel weight.
 *  - multi-objective: good-group kernels weigh their hypervolume contribution, as in Optuna.
 * Deviation: in multi-objective studies the good group is filled by non-dominated rank with
 * crowding distance breaking the last rank's ties (Optuna uses hypervolume subset selection).
 */
import { Rng } from '../../platform/core/rng';
import {
  Distribution,
  ParamValue,
  isSingle,
  sameDistribution,
  snap,
  toInternal,
} from '../core/distributions';
import {
  constrainedRanks,
  crowdingDistance,
  hypervolume,
  toMinimize,
} from '../core/multi-objective';
import { SettingsReader } from '../core/settings';
import { StudyView } from '../core/study-view';
import { Direction, FrozenTrial, lastStep, violation } from '../core/trial';
import { DimSpec, ParzenEstimator, ParzenParameters } from './parzen-estimator';
import { sampleUniform } from './random';
import { EMPTY_SAMPLE, RelativeSample, Sampler } from './sampler';

export class TpeSampler implements Sampler {
  readonly name: string = 'tpe';
  private readonly rng: Rng;
  private readonly nStartupTrials: number;
  private readonly nEiCandidates: number;
  private readonly gammaFraction: number;
  private readonly gammaMax: number;
  private readonly constantLiar: boolean;
  private readonly parzen: ParzenParameters;
  /** The split depends only on the snapshot, so it is computed once per snapshot and trial. */
  private readonly splits = new WeakMap<
    StudyView,
    { trial: number; below: FrozenTrial[]; above: FrozenTrial[] }
  >();

  constructor(settings: unknown = {}) {
    const s = new SettingsReader(settings);
    this.rng = new Rng(s.int('seed', 0));
    this.nStartupTrials = s.int('nStartupTrials', 10, 0);
    this.nEiCandidates = s.int('nEiCandidates', 24, 1, 10000);
    this.gammaFraction = s.number('gamma', 0.1, { min: 0, max: 1, exclusiveMin: true });
    this.gammaMax = s.int('gammaMax', 25, 1);
    this.constantLiar = s.bool('constantLiar', false);
    this.parzen = {
      priorWeight: s.number('priorWeight', 1, { min: 0, exclusiveMin: true }),
      considerMagicClip: s.bool('considerMagicClip', true),
      considerEndpoints: s.bool('considerEndpoints', false),
      multivariate: s.bool('multivariate', false),
    };
    s.done();
  }

  sampleRelative(view: StudyView, trial: FrozenTrial): RelativeSample {
    if (!this.parzen.multivariate) return EMPTY_SAMPLE;
    const complete = view.trials.filter((t) => t.state === 'complete');
    if (finishedCount(view) < this.nStartupTrials || complete.length === 0) return EMPTY_SAMPLE;
    const space = intersectionSpace(complete);
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
    if (finishedCount(view) < this.nStartupTrials) return sampleUniform(this.rng, d);
    return this.sampleTpe(view, trial, { [name]: d })[name];
  }

  private sampleTpe(
    view: StudyView,
    trial: FrozenTrial,
    space: Record<string, Distribution>,
  ): Record<string, ParamValue> {
    const { below, above } = this.split(view, trial);
    const names = Object.keys(space);
    const dists = names.map((n) => space[n]);
    const specs = dists.map(dimSpec);
    const has = (t: FrozenTrial) =>
      names.every(
        (n) => Object.hasOwn(t.params, n) && sameDistribution(t.distributions[n], space[n]),
      );
    const belowT = below.filter(has);
    const aboveT = above.filter(has);
    const obs = (ts: FrozenTrial[]) =>
      dists.map((d, i) => ts.map((t) => transform(d, toInternal(d, t.params[names[i]]))));
    const wBelow =
      view.directions.length > 1
        ? hypervolumeWeights(belowT, view.directions)
        : defaultWeights(belowT.length);
    const anyFeasible = belowT.some((t) => violation(t) === 0);
    belowT.forEach((t, i) => {
      if (anyFeasible && violation(t) > 0) wBelow[i] *= 1e-12;
    });
    const l = new ParzenEstimator(obs(belowT), specs, wBelow, this.parzen);
    const g = new ParzenEstimator(obs(aboveT), specs, defaultWeights(aboveT.length), this.parzen);
    const candidates = l.sample(this.rng, this.nEiCandidates);
    const ll = l.logPdf(candidates);
    const lg = g.logPdf(candidates);
    let best = 0;
    for (let j = 1; j < ll.length; j++) if (ll[j] - lg[j] > ll[best] - lg[best]) best = j;
    const out: Record<string, ParamValue> = {};
    names.forEach((n, i) => (out[n] = untransform(dists[i], candidates[i][best])));
    return out;
  }

  /** Orders trials best-first (Optuna's _split_trials) and cuts at gamma(n). */
  private split(
    view: StudyView,
    trial: FrozenTrial,
  ): { below: FrozenTrial[]; above: FrozenTrial[] } {
    const cached = this.splits.get(view);
    if (cached && cached.trial === trial.number) return cached;
    const complete = view.trials.filter((t) => t.state === 'complete' && t.values !== undefined);
    const pruned = view.trials.filter((t) => t.state === 'pruned');
    const running = this.constantLiar
      ? view.trials.filter((t) => t.state === 'running' && t.number !== trial.number)
      : [];
    const n = complete.length + pruned.length;
    const nBelow = Math.min(Math.ceil(this.gammaFraction * n), this.gammaMax);
    const ordered = [...orderComplete(complete, view), ...orderPruned(pruned, view), ...running];
    // Each group is kept in trial-number order: the recency weights follow that order.
    const byNumber = (a: FrozenTrial, b: FrozenTrial) => a.number - b.number;
    const result = {
      trial: trial.number,
      below: ordered.slice(0, nBelow).sort(byNumber),
      above: ordered.slice(nBelow).sort(byNumber),
    };
    this.splits.set(view, result);
    return result;
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
 * Optuna's multi-objective below weights: each feasible good trial weighs its hypervolume
 * contribution (reference = 1.1 x the worst point, per objective), normalised by the largest.
 */
function hypervolumeWeights(trials: FrozenTrial[], directions: readonly Direction[]): number[] {
  const w = new Array<number>(trials.length).fill(1e-12);
  const idx = trials
    .map((_, i) => i)
    .filter((i) => trials[i].values !== undefined && violation(trials[i]) === 0);
  if (idx.length <= 1)
    return idx.length === 1
      ? w.map((x, i) => (i === idx[0] ? 1 : x))
      : defaultWeights(trials.length);
  const pts = idx.map((i) => toMinimize(trials[i].values as number[], directions));
  const ref = pts[0].map((_, k) => {
    const worst = Math.max(...pts.map((p) => p[k]));
    const r = Math.max(1.1 * worst, 0.9 * worst);
    return r === 0 ? 1e-12 : r;
  });
  const total = hypervolume(pts, ref);
  const contrib = pts.map(
    (_, j) => total - hypervolume([...pts.slice(0, j), ...pts.slice(j + 1)], ref),
  );
  const max = Math.max(...contrib, 1e-12);
  idx.forEach((i, j) => (w[i] = Math.min(Math.max(contrib[j] / max, 0), 1)));
  return w;
}

/** Complete + pruned trials: what Optuna counts against n_startup_trials. */
function finishedCount(view: StudyView): number {
  let n = 0;
  for (const t of view.trials) if (t.state === 'complete' || t.state === 'pruned') n++;
  return n;
}

function orderComplete(trials: FrozenTrial[], view: StudyView): FrozenTrial[] {
  const ranks = constrainedRanks(trials, view.directions);
  const crowd = new Array<number>(trials.length).fill(0);
  if (view.directions.length > 1) {
    const byRank = new Map<number, number[]>();
    ranks.forEach((r, i) => {
      const list = byRank.get(r);
      if (list) list.push(i);
      else byRank.set(r, [i]);
    });
    for (const idx of byRank.values()) {
      const cd = crowdingDistance(
        idx.map((i) => toMinimize(trials[i].values as number[], view.directions)),
      );
      idx.forEach((i, k) => (crowd[i] = cd[k]));
    }
  }
  return trials
    .map((t, i) => ({ t, r: ranks[i], c: crowd[i] }))
    .sort((a, b) => a.r - b.r || b.c - a.c || a.t.number - b.t.number)
    .map((x) => x.t);
}

function orderPruned(trials: FrozenTrial[], view: StudyView): FrozenTrial[] {
  const sign = view.directions[0] === 'maximize' ? -1 : 1;
  const key = (t: FrozenTrial) => {
    const s = lastStep(t);
    return s === undefined
      ? { s: -Infinity, v: Infinity }
      : { s, v: sign * t.intermediate[t.intermediate.length - 1].values[0] };
  };
  return trials
    .map((t) => ({ t, k: key(t) }))
    .sort((a, b) => b.k.s - a.k.s || a.k.v - b.k.v || a.t.number - b.t.number)
    .map((x) => x.t);
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

/** Parameters every complete trial has with the same distribution (Optuna's IntersectionSearchSpace). */
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

function dimSpec(d: Distribution): DimSpec {
  if (d.type === 'categorical') return { kind: 'cat', n: d.choices.length };
  if (d.log) {
    return d.type === 'int'
      ? { kind: 'num', low: Math.log(d.low - 0.5), high: Math.log(d.high + 0.5) }
      : { kind: 'num', low: Math.log(d.low), high: Math.log(d.high) };
  }
  return { kind: 'num', low: d.low, high: d.high, step: d.step };
}

function transform(d: Distribution, x: number): number {
  return d.type !== 'categorical' && d.log ? Math.log(x) : x;
}

function untransform(d: Distribution, y: number): ParamValue {
  if (d.type === 'categorical') return d.choices[y];
  return snap(d, d.log ? Math.exp(y) : y);
}
