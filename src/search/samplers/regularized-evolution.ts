/**
 * Regularized (aging) evolution, Real et al. 2019, "Regularized Evolution for Image Classifier
 * Architecture Search", Algorithm 1: the population is the `populationSize` most recently
 * finished trials (aging: the oldest leaves, whatever its fitness); each new trial samples
 * `sampleSize` members uniformly, takes the best as parent and mutates exactly one of its
 * parameters. Until the population is full, trials are random.
 *
 * Mutation: a categorical parameter moves to a different choice; a numeric one is redrawn from a
 * Gaussian of width `mutationScale` in the unit cube around the parent's value (resampled until it
 * changes, for a discrete grid). Parameters that become active through the mutation (conditional
 * spaces) are drawn at random by `sampleIndependent`. Infeasible trials lose tournaments to
 * feasible ones; multi-objective studies compare by non-dominated rank within the sample.
 */
import { Rng } from '../../platform/core/rng';
import {
  Distribution,
  ParamValue,
  contains,
  fromUnit,
  isSingle,
  toUnit,
} from '../core/distributions';
import { constrainedRanks } from '../core/multi-objective';
import { SettingsReader } from '../core/settings';
import { StudyView } from '../core/study-view';
import { FrozenTrial } from '../core/trial';
import { ValidationError } from '../../platform/errors/domain-error';
import { sampleUniform } from './random';
import { EMPTY_SAMPLE, RelativeSample, Sampler } from './sampler';

export class RegularizedEvolutionSampler implements Sampler {
  readonly name = 'regularized-evolution';
  private readonly rng: Rng;
  private readonly populationSize: number;
  private readonly sampleSize: number;
  private readonly mutationScale: number;

  constructor(settings: unknown = {}) {
    const s = new SettingsReader(settings);
    this.rng = new Rng(s.int('seed', 0));
    this.populationSize = s.int('populationSize', 50, 2);
    this.sampleSize = s.int('sampleSize', 10, 1);
    this.mutationScale = s.number('mutationScale', 0.1, { min: 0, max: 1, exclusiveMin: true });
    s.done();
    if (this.sampleSize > this.populationSize) {
      throw ValidationError.field(
        'sampleSize',
        `must be <= populationSize (${this.populationSize}), got ${this.sampleSize}`,
      );
    }
  }

  sampleRelative(view: StudyView, _trial: FrozenTrial): RelativeSample {
    const finished = view.trials
      .filter((t) => t.state === 'complete' && t.values !== undefined)
      .sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0) || a.number - b.number);
    if (finished.length < this.populationSize) return EMPTY_SAMPLE;
    const population = finished.slice(-this.populationSize);
    const sample = Array.from({ length: this.sampleSize }, () => this.rng.choice(population));
    const ranks = constrainedRanks(sample, view.directions);
    const sign = view.directions[0] === 'maximize' ? -1 : 1;
    let best = 0;
    for (let i = 1; i < sample.length; i++) {
      const better =
        ranks[i] < ranks[best] ||
        (ranks[i] === ranks[best] &&
          sign * (sample[i].values as number[])[0] < sign * (sample[best].values as number[])[0]);
      if (better) best = i;
    }
    const parent = sample[best];
    const mutable = Object.keys(parent.params).filter((n) => !isSingle(parent.distributions[n]));
    const params: RelativeSample['params'] = {};
    for (const [n, v] of Object.entries(parent.params))
      params[n] = { distribution: parent.distributions[n], value: v };
    if (mutable.length) {
      const name = this.rng.choice(mutable);
      params[name] = {
        distribution: parent.distributions[name],
        value: this.mutate(parent.distributions[name], parent.params[name]),
      };
    }
    return { params, systemAttrs: { 'evolution:parent': parent.number } };
  }

  sampleIndependent(
    _view: StudyView,
    _trial: FrozenTrial,
    _name: string,
    d: Distribution,
  ): ParamValue {
    return sampleUniform(this.rng, d);
  }

  private mutate(d: Distribution, value: ParamValue): ParamValue {
    if (d.type === 'categorical') {
      const others = d.choices.filter((c) => c !== value);
      return this.rng.choice(others);
    }
    const u = toUnit(d, value as number);
    for (let tries = 0; tries < 20; tries++) {
      let v = u + this.rng.normal(0, this.mutationScale);
      v = v < 0 ? -v : v > 1 ? 2 - v : v;
      const x = fromUnit(d, v);
      if (x !== value && contains(d, x)) return x;
    }
    return sampleUniform(this.rng, d);
  }
}
