/**
 * Quasi-random sampling with a scrambled Halton sequence (Halton 1960; digit-permutation
 * scrambling as in Braaten & Weller 1979 / Owen's random permutations, one seeded permutation per
 * dimension and digit position). Optuna's QMCSampler uses scipy's scrambled Halton or Sobol; we
 * implement Halton only. The point index is the trial number, so points are reproducible and
 * parallel workers never collide. Dimensions are the declared space's parameters (conditional ones
 * included, used when active); without a declared space, the first complete trial's parameters.
 */
import { Rng } from '../../../platform/core/rng';
import { Distribution, ParamValue, fromUnit, sameDistribution } from '../distributions';
import { SettingsReader } from '../settings';
import { StudyView } from '../study-view';
import { FrozenTrial } from '../trial';
import { sampleUniform } from './random';
import { RelativeSample, Sampler } from '../sampler';

const PRIMES = primes(100);

export class QmcSampler implements Sampler {
  readonly name = 'qmc';
  private readonly seed: number;
  private readonly scramble: boolean;
  private readonly fallback: Rng;
  private perms: number[][][] = [];

  constructor(settings: unknown = {}) {
    const s = new SettingsReader(settings);
    this.seed = s.int('seed', 0);
    this.scramble = s.bool('scramble', true);
    s.oneOf('qmcType', 'halton', ['halton']);
    s.done();
    this.fallback = new Rng(this.seed).fork('qmc-fallback');
  }

  sampleRelative(view: StudyView, trial: FrozenTrial): RelativeSample {
    const dims = dimensions(view);
    if (dims.length === 0) return { params: {} };
    const point = this.point(trial.number, dims.length);
    const params: RelativeSample['params'] = {};
    dims.forEach(([name, d], i) => {
      const u = point[i];
      params[name] = {
        distribution: d,
        value:
          d.type === 'categorical'
            ? d.choices[Math.min(d.choices.length - 1, Math.floor(u * d.choices.length))]
            : fromUnit(d, u),
      };
    });
    return { params };
  }

  sampleIndependent(
    _view: StudyView,
    _trial: FrozenTrial,
    _name: string,
    d: Distribution,
  ): ParamValue {
    return sampleUniform(this.fallback, d);
  }

  /** The index-th point of the (scrambled) Halton sequence in [0, 1)^dim. */
  point(index: number, dim: number): number[] {
    if (dim > PRIMES.length)
      throw new RangeError(`qmc supports at most ${PRIMES.length} dimensions, got ${dim}`);
    const out: number[] = [];
    for (let j = 0; j < dim; j++) out.push(this.radicalInverse(index, j));
    return out;
  }

  private radicalInverse(index: number, j: number): number {
    const b = PRIMES[j];
    const digits = Math.ceil(53 / Math.log2(b));
    const perm = this.scramble ? this.permutations(j, b, digits) : undefined;
    let n = index;
    let f = 1 / b;
    let x = 0;
    for (let k = 0; k < digits; k++) {
      const digit = n % b;
      x += (perm ? perm[k][digit] : digit) * f;
      n = Math.floor(n / b);
      f /= b;
      if (!perm && n === 0) break;
    }
    return Math.min(x, 1 - 1e-16);
  }

  private permutations(j: number, b: number, digits: number): number[][] {
    if (!this.perms[j]) {
      const rng = new Rng(this.seed).fork(`halton-${j}`);
      const base = Array.from({ length: b }, (_, i) => i);
      this.perms[j] = Array.from({ length: digits }, () => rng.shuffle(base));
    }
    return this.perms[j];
  }
}

function dimensions(view: StudyView): [string, Distribution][] {
  if (view.space) return view.space.params.map((p) => [p.name, p.distribution]);
  const first = view.trials.find((t) => t.state === 'complete');
  if (!first) return [];
  return Object.entries(first.distributions).filter(([name, d]) =>
    view.trials.every(
      (t) =>
        t.state !== 'complete' ||
        !Object.hasOwn(t.distributions, name) ||
        sameDistribution(t.distributions[name], d),
    ),
  );
}

function primes(n: number): number[] {
  const out: number[] = [];
  for (let k = 2; out.length < n; k++) if (out.every((p) => p * p > k || k % p !== 0)) out.push(k);
  return out;
}
