/**
 * Exhaustive grid over the declared space (Optuna's GridSampler). Categorical parameters take every
 * choice, int parameters every value when there are at most `maxPointsPerParam` of them, other
 * numeric parameters `pointsPerParam` evenly spaced points (log-spaced when log). The visiting order
 * is a seeded shuffle; each trial stores its grid id, and a new trial takes the first id no earlier
 * trial holds, so parallel workers rarely repeat a cell. Once every cell is used the grid restarts.
 * Conditional parameters are part of the grid; an inactive one simply goes unused (Optuna likewise
 * enumerates the full product).
 */
import { Rng } from '../../../platform/core/rng';
import { Distribution, NumericDistribution, ParamValue, fromUnit, snap } from '../distributions';
import { SettingsReader } from '../settings';
import { SearchSpace } from '../space';
import { StudyView } from '../study-view';
import { ValidationError } from '../../../platform/errors/domain-error';
import { FrozenTrial } from '../trial';
import { RelativeSample, Sampler } from '../sampler';
import { sampleUniform } from './random';

const GRID_ID = 'grid:id';

export class GridSampler implements Sampler {
  readonly name = 'grid';
  private readonly seed: number;
  private readonly pointsPerParam: number;
  private readonly maxPointsPerParam: number;
  private readonly fallback: Rng;
  private cache?: {
    space: SearchSpace;
    axes: { name: string; d: Distribution; values: ParamValue[] }[];
    order: number[];
  };

  constructor(settings: unknown = {}) {
    const s = new SettingsReader(settings);
    this.seed = s.int('seed', 0);
    this.pointsPerParam = s.int('pointsPerParam', 5, 2, 1000);
    this.maxPointsPerParam = s.int('maxPointsPerParam', 32, 2, 10000);
    s.done();
    this.fallback = new Rng(this.seed).fork('grid-fallback');
  }

  /** Number of cells for a space (for validation and progress reports). */
  gridSize(space: SearchSpace): number {
    return this.axes(space).reduce((n, a) => n * a.values.length, 1);
  }

  sampleRelative(view: StudyView, trial: FrozenTrial): RelativeSample {
    if (!view.space) {
      throw ValidationError.field(
        'sampler',
        'the grid sampler needs a study with a declared search space',
      );
    }
    const { axes, order } = this.prepare(view.space);
    const used = new Set<number>();
    for (const t of view.trials) {
      const id = t.systemAttrs[GRID_ID];
      if (t.number !== trial.number && typeof id === 'number') used.add(id);
    }
    let id = order.find((g) => !used.has(g));
    if (id === undefined) id = order[(view.trials.length - 1) % order.length];
    const params: RelativeSample['params'] = {};
    let rest = id;
    for (const a of axes) {
      params[a.name] = { distribution: a.d, value: a.values[rest % a.values.length] };
      rest = Math.floor(rest / a.values.length);
    }
    return { params, systemAttrs: { [GRID_ID]: id } };
  }

  sampleIndependent(
    _view: StudyView,
    _trial: FrozenTrial,
    _name: string,
    d: Distribution,
  ): ParamValue {
    // Only reached for parameters outside the declared space.
    return sampleUniform(this.fallback, d);
  }

  private prepare(space: SearchSpace) {
    if (this.cache?.space !== space) {
      const axes = this.axes(space);
      const size = axes.reduce((n, a) => n * a.values.length, 1);
      if (size > 1e6)
        throw ValidationError.field(
          'space',
          `grid has ${size} cells; at most 1000000 are supported`,
        );
      const order = new Rng(this.seed).shuffle(Array.from({ length: size }, (_, i) => i));
      this.cache = { space, axes, order };
    }
    return this.cache;
  }

  private axes(space: SearchSpace) {
    return space.params.map((p) => ({
      name: p.name,
      d: p.distribution,
      values: this.values(p.distribution),
    }));
  }

  private values(d: Distribution): ParamValue[] {
    if (d.type === 'categorical') return d.choices.slice();
    const count = gridCount(d);
    if (count !== undefined && count <= this.maxPointsPerParam) {
      return Array.from({ length: count }, (_, k) => snap(d, d.low + k * (d.step as number)));
    }
    const n = this.pointsPerParam;
    const pts = Array.from({ length: n }, (_, k) => endpointValue(d, k / (n - 1)));
    return [...new Set(pts)];
  }
}

function gridCount(d: NumericDistribution): number | undefined {
  if (d.step === undefined || d.log) return undefined;
  return Math.round((d.high - d.low) / d.step) + 1;
}

function endpointValue(d: NumericDistribution, u: number): number {
  if (d.log) return snap(d, Math.exp(Math.log(d.low) + u * (Math.log(d.high) - Math.log(d.low))));
  if (d.step === undefined) return d.low + u * (d.high - d.low);
  return fromUnit(d, u);
}
