/**
 * Bayesian optimisation with a Gaussian process, after Optuna 4's GPSampler (optuna/samplers/
 * _gp/sampler.py): `nStartupTrials` random trials (by trial number, prior trials counted; at least
 * two complete ones), then per ask
 *  1. encode the complete trials that have the whole joint space (encoding.ts), turn each
 *     objective into a score to maximise and standardise it; +-inf are clipped to the finite range;
 *  2. fit a Matern 5/2 ARD GP per objective (and per constraint) by MAP (gp.ts);
 *  3. pending trials (running, with their parameters already drawn) join the data with the
 *     posterior mean as their value (kriging believer, Ginsbourger et al. 2010; other rules in
 *     `batch`), so parallel asks spread out instead of proposing the same point;
 *  4. maximise log EI (one objective) or log EHVI (several), plus log PoF per constraint
 *     (acquisition.ts), from random candidates and the incumbent (optimize-acquisition.ts).
 * Parameters outside the joint space (conditional ones) are sampled at random.
 * Beyond `maxTrainingPoints` complete trials the GPs train on a subset of them (gp-subset.ts).
 * Prior observations (`view.priorTrials`, a warm start) count as data and towards the startup.
 */
import { Rng } from '../../../platform/core/rng';
import { Distribution, ParamValue } from '../distributions';
import { nonDominatedRanks } from '../multi-objective';
import { SettingsReader } from '../settings';
import { StudyView } from '../study-view';
import { FrozenTrial } from '../trial';
import { sampleUniform } from './random';
import { EMPTY_SAMPLE, RelativeSample, Sampler } from '../sampler';
import { Acquisition, ConstrainedLogEi, LogEhvi } from '../gp/acquisition';
import {
  EncodedSpace,
  covers,
  decodeParams,
  encodeParams,
  encodeSpace,
  relativeSpace,
} from './gp-encoding';
import { GaussianProcess, fitKernelParams } from '../gp/gp';
import { optimizeAcquisition } from '../gp/optimize-acquisition';
import { LocallyPenalizedAcquisition, estimateLipschitz } from '../gp/local-penalization';
import { FantasyLogEi } from '../gp/fantasy-ei';
import { trainingSubset } from './gp-subset';

/**
 * How pending (running) trials shape the next proposal (docs/search.md has the measurements):
 *  - `kriging-believer` (default): they join the data with the posterior mean as their value;
 *  - `fantasy-ei`: log EI averaged over draws of their outcomes, the sequential-greedy q-EI of
 *    Optuna 5 (gp/fantasy-ei.ts);
 *  - `local-penalization` (González et al. 2016) and `hard-local-penalization` (Alvi et al. 2019):
 *    log EI plus a log penalty around each (gp/local-penalization.ts);
 *  - `none`: ignored.
 * The last three rules need one objective; with several, the believer is used.
 */
const BATCH_RULES = [
  'kriging-believer',
  'fantasy-ei',
  'local-penalization',
  'hard-local-penalization',
  'none',
] as const;
type BatchRule = (typeof BATCH_RULES)[number];
const DEFAULT_BATCH: BatchRule = 'kriging-believer';

export class GpSampler implements Sampler {
  readonly name = 'gp';
  private readonly rng: Rng;
  private readonly nStartupTrials: number;
  private readonly deterministic: boolean;
  private readonly nCandidates: number;
  private readonly nLocalSearch: number;
  private readonly batch: BatchRule;
  private readonly compressTail: boolean;
  private readonly incumbent: 'observed' | 'posterior-mean';
  private readonly maxTrainingPoints: number;

  constructor(settings: unknown = {}) {
    const s = new SettingsReader(settings);
    this.rng = new Rng(s.int('seed', 0));
    this.nStartupTrials = s.int('nStartupTrials', 10, 1, 100000);
    this.deterministic = s.bool('deterministicObjective', false);
    this.nCandidates = s.int('nCandidates', 1024, 16, 100000);
    this.nLocalSearch = s.int('nLocalSearch', 10, 1, 1000);
    this.batch = s.oneOf('batch', DEFAULT_BATCH, BATCH_RULES);
    this.compressTail = s.bool('compressTail', true);
    this.incumbent = s.oneOf('incumbent', 'observed', ['observed', 'posterior-mean']);
    // 200: an ask then costs ~0.3 s of CPU at any history size, 3x below Optuna 5's GPSampler
    // at 1,000 trials (300 would cost 0.9 s, level with it; docs/benchmarks/optuna.md,
    // "Overhead"); `auto` hands over to CMA-ES at 200 trials, so it never reaches the cap.
    this.maxTrainingPoints = s.int('maxTrainingPoints', 200, 10, 100000);
    s.done();
  }

  sampleRelative(view: StudyView, trial: FrozenTrial): RelativeSample {
    const space = relativeSpace(view);
    if (Object.keys(space).length === 0) return EMPTY_SAMPLE;
    const enc = encodeSpace(space);
    const observed = [...(view.priorTrials ?? []), ...view.trials].filter(
      (t) => t.state === 'complete' && t.values !== undefined && covers(enc, t),
    );
    // Startup by trial number, not by complete trials: with q trials in flight, waiting for
    // nStartupTrials complete ones would make the first q - 1 model-based asks random too.
    const own = new Set(view.trials);
    const prior = observed.filter((t) => !own.has(t)).length;
    if (trial.number + prior < this.nStartupTrials || observed.length < 2) return EMPTY_SAMPLE;
    const pending =
      this.batch === 'none'
        ? []
        : view.trials.filter(
            (t) => t.state === 'running' && t.number !== trial.number && covers(enc, t),
          );
    const training =
      observed.length > this.maxTrainingPoints
        ? trainingSubset(observed, view.directions, this.maxTrainingPoints, this.rng.fork('subset'))
        : observed;
    const x = this.propose(view, enc, training, pending);
    const values = decodeParams(enc, x);
    const params: RelativeSample['params'] = {};
    enc.names.forEach((n, i) => (params[n] = { distribution: enc.dists[i], value: values[n] }));
    return { params };
  }

  sampleIndependent(
    _view: StudyView,
    _trial: FrozenTrial,
    _name: string,
    d: Distribution,
  ): ParamValue {
    return sampleUniform(this.rng, d);
  }

  private propose(
    view: StudyView,
    enc: EncodedSpace,
    observed: readonly FrozenTrial[],
    pending: FrozenTrial[],
  ): Float64Array {
    const x = observed.map((t) => encodeParams(enc, t.params));
    const xp = pending.map((t) => encodeParams(enc, t.params));
    // Rules that keep the GP of the complete trials and handle pending ones in the acquisition.
    const inAcquisition =
      (this.batch.endsWith('local-penalization') || this.batch === 'fantasy-ei') &&
      view.directions.length === 1;
    const fit = (y: Float64Array, believe = !inAcquisition): GaussianProcess => {
      const params = fitKernelParams(x, y, enc.isCategorical, {
        deterministic: this.deterministic,
      });
      const gp = new GaussianProcess(x, y, enc.isCategorical, params);
      if (xp.length === 0 || !believe) return gp;
      const believed = Float64Array.from([...y, ...xp.map((p) => gp.posterior(p).mean)]);
      return new GaussianProcess([...x, ...xp], believed, enc.isCategorical, params);
    };
    const scores = view.directions.map((d, k) =>
      objectiveScores(observed, d, k, this.compressTail),
    );
    const objectives = scores.map((y) => fit(y));
    const nConstraints = Math.max(0, ...observed.map((t) => t.constraints?.length ?? 0));
    const constraints = Array.from({ length: nConstraints }, (_, c) => {
      // Feasible when c <= 0; on the standardised scale the threshold moves with the data.
      const raw = observed.map((t) => t.constraints?.[c] ?? NaN);
      const clipped = clipInfinite(raw, true);
      const mean = average(clipped);
      const sd = stdev(clipped);
      const y = standardize(raw, true);
      return { gp: fit(y, true), threshold: (0 - mean) / sd };
    });
    const feasible = observed.map((t) => (t.constraints ?? []).every((c) => c <= 0));
    let acq: Acquisition;
    const warm: Float64Array[] = [];
    if (view.directions.length === 1) {
      // The incumbent: the best observed score, or (`incumbent: posterior-mean`) the best
      // posterior mean at an observed point, the plug-in EI for noisy observations (Picheny et
      // al. 2013): a lucky noisy draw no longer sets a bar the model cannot believe it can beat.
      const incumbent =
        this.incumbent === 'observed' ? scores[0] : x.map((xi) => objectives[0].posterior(xi).mean);
      let f0 = -Infinity;
      let bestI = -1;
      incumbent.forEach((s, i) => {
        if (feasible[i] && s > f0) {
          f0 = s;
          bestI = i;
        }
      });
      if (bestI >= 0) warm.push(x[bestI]);
      // Kriging believer: the believed values of pending trials count as observed ones, so the
      // incumbent moves with them and the next point improves on the whole batch.
      if (f0 > -Infinity)
        for (let i = x.length; i < objectives[0].n; i++) f0 = Math.max(f0, objectives[0].y[i]);
      acq = new ConstrainedLogEi(objectives[0], f0, constraints);
      if (inAcquisition && xp.length > 0 && this.batch === 'fantasy-ei') {
        // Without a feasible incumbent there is no EI: only the (believed) constraint GPs' PoF.
        if (f0 > -Infinity) {
          const rng = this.rng.fork('fantasies');
          acq = new FantasyLogEi(objectives[0], xp, f0, rng, undefined, constraints);
        }
      } else if (inAcquisition && xp.length > 0) {
        const gp = objectives[0];
        const grid = enc.searchDims.map((d) => (d.kind === 'grid' ? d.values : undefined));
        const lipschitz = estimateLipschitz(gp, grid, this.rng.fork('lipschitz'));
        const best = f0 > -Infinity ? f0 : Math.max(...scores[0]);
        const kind = this.batch === 'local-penalization' ? 'soft' : 'hard';
        acq = LocallyPenalizedAcquisition.around(acq, gp, xp, lipschitz, best, kind);
      }
    } else {
      const pts = observed.map((_, i) => scores.map((s) => s[i]));
      const pool = pts.filter((_, i) => feasible[i]);
      const usable = pool.length ? pool : pts;
      const ranks = nonDominatedRanks(usable.map((p) => p.map((v) => -v)));
      const front = usable.filter((_, i) => ranks[i] === 0);
      const reference = scores.map((_, k) => {
        const lo = Math.min(...usable.map((p) => p[k]));
        const hi = Math.max(...usable.map((p) => p[k]));
        return lo - 0.1 * Math.max(hi - lo, 1e-6);
      });
      acq = new LogEhvi(objectives, front, reference, this.rng.fork('ehvi'), 64, constraints);
    }
    return optimizeAcquisition(acq, enc.searchDims, this.rng, {
      nCandidates: this.nCandidates,
      nLocalSearch: this.nLocalSearch,
      warmStarts: warm,
    }).x;
  }
}

/**
 * Objective k of the trials as the standardised scores the GP models (higher is better; +-inf
 * clipped; the worse half compressed when `compressTail`).
 */
export function objectiveScores(
  trials: readonly FrozenTrial[],
  direction: StudyView['directions'][number],
  k: number,
  compressTail: boolean,
): Float64Array {
  const raw = clipInfinite(
    trials.map((t) => (direction === 'maximize' ? 1 : -1) * (t.values as number[])[k]),
  );
  return standardize(compressTail ? compressWorseHalf(raw) : raw);
}

/**
 * Scores worse than the median are compressed logarithmically, s' = m - c log(1 + (m - s) / c)
 * with c the spread of the better half (max - m): monotone, so the optimum and the ranking are
 * unchanged, linear in the better half where precision matters, and the huge values of a
 * heavy-tailed objective (Zakharov's quartic term, a diverged training run) no longer dominate
 * the standardisation and the lengthscales. A cheap relative of the output warping of HEBO
 * (Cowen-Rivers et al. 2022) and SMAC's log-transformed costs.
 */
export function compressWorseHalf(scores: number[]): number[] {
  const sorted = scores.slice().sort((a, b) => a - b);
  const m = sorted[Math.floor((sorted.length - 1) / 2)];
  const c = Math.max(sorted[sorted.length - 1] - m, 1e-12);
  return scores.map((s) => (s >= m ? s : m - c * Math.log1p((m - s) / c)));
}

/**
 * Replaces +-inf by the finite extremes, as Optuna warns and clips; NaN counts as the worst value
 * (the lowest score, or the highest constraint value).
 */
function clipInfinite(v: number[], nanIsWorstHigh = false): number[] {
  const finite = v.filter((a) => Number.isFinite(a));
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 0;
  const nan = nanIsWorstHigh ? hi : lo;
  return v.map((a) => (Number.isFinite(a) ? a : Number.isNaN(a) ? nan : a > 0 ? hi : lo));
}

function average(v: number[]): number {
  return v.reduce((s, a) => s + a, 0) / v.length;
}

/** Population standard deviation, floored at 1e-10 (Optuna's standardisation). */
function stdev(v: number[]): number {
  const m = average(v);
  return Math.max(Math.sqrt(v.reduce((s, a) => s + (a - m) ** 2, 0) / v.length), 1e-10);
}

function standardize(raw: number[], nanIsWorstHigh = false): Float64Array {
  const v = clipInfinite(raw, nanIsWorstHigh);
  const m = average(v);
  const sd = stdev(v);
  return Float64Array.from(v, (a) => (a - m) / sd);
}
