/**
 * Regularized (aging) evolution, Real et al. 2019, "Regularized Evolution for Image Classifier
 * Architecture Search", Algorithm 1: the population is the `populationSize` most recently
 * finished trials (aging: the oldest leaves, whatever its fitness); each new trial samples
 * `sampleSize` members uniformly, takes the best as parent and mutates it. Until the population
 * is full, trials are random. Infeasible trials lose tournaments to feasible ones;
 * multi-objective studies compare by non-dominated rank within the sample.
 *
 * How a child is made is the one point of variation (`EvolutionVariant`). The default,
 * `PARAMETER_MUTATION`, mutates exactly one parameter: a categorical one moves to a different
 * choice; a numeric one is redrawn from a Gaussian of width `mutationScale` in the unit cube
 * around the parent's value (resampled until it changes, for a discrete grid). Parameters that
 * become active through the mutation (conditional spaces) are drawn at random by
 * `sampleIndependent`. NAS passes a variant that mutates architecture encodings instead
 * (src/nas/core/architecture-evolution.ts).
 */
import { Rng } from '../../../platform/core/rng';
import { ValidationError } from '../../../platform/errors/domain-error';
import { Distribution, ParamValue, contains, fromUnit, isSingle, toUnit } from '../distributions';
import { constrainedRanks } from '../multi-objective';
import { EMPTY_SAMPLE, RelativeSample, Sampler } from '../sampler';
import { SettingsReader } from '../settings';
import { StudyView } from '../study-view';
import { FrozenTrial } from '../trial';
import { sampleUniform } from './random';

/** Makes a child from the tournament's winner; `systemAttrs` record how (at least the parent). */
export interface EvolutionMutation {
  mutate(parent: FrozenTrial, rng: Rng): RelativeSample;
}

/** A kind of evolution: its default population and tournament sizes, and its mutation. */
export interface EvolutionVariant {
  readonly defaults: { populationSize: number; sampleSize: number };
  /** Reads the variant's own settings (unknown keys are rejected after it) and builds the mutation. */
  mutation(settings: SettingsReader): EvolutionMutation;
}

/** One parameter of the parent mutated (setting `mutationScale`, default 0.1). */
export const PARAMETER_MUTATION: EvolutionVariant = {
  defaults: { populationSize: 50, sampleSize: 10 },
  mutation(settings) {
    const scale = settings.number('mutationScale', 0.1, { min: 0, max: 1, exclusiveMin: true });
    return {
      mutate(parent, rng) {
        const mutable = Object.keys(parent.params).filter(
          (n) => !isSingle(parent.distributions[n]),
        );
        const params: RelativeSample['params'] = {};
        for (const [n, v] of Object.entries(parent.params))
          params[n] = { distribution: parent.distributions[n], value: v };
        if (mutable.length) {
          const name = rng.choice(mutable);
          const distribution = parent.distributions[name];
          params[name] = {
            distribution,
            value: mutateValue(distribution, parent.params[name], scale, rng),
          };
        }
        return { params, systemAttrs: { 'evolution:parent': parent.number } };
      },
    };
  },
};

export class RegularizedEvolutionSampler implements Sampler {
  readonly name = 'regularized-evolution';
  readonly populationSize: number;
  readonly sampleSize: number;
  private readonly rng: Rng;
  private readonly mutation: EvolutionMutation;

  constructor(settings: unknown = {}, variant: EvolutionVariant = PARAMETER_MUTATION) {
    const s = new SettingsReader(settings);
    this.rng = new Rng(s.int('seed', 0));
    this.populationSize = s.int('populationSize', variant.defaults.populationSize, 2);
    this.sampleSize = s.int('sampleSize', variant.defaults.sampleSize, 1);
    this.mutation = variant.mutation(s);
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
    return this.mutation.mutate(sample[best], this.rng);
  }

  sampleIndependent(
    _view: StudyView,
    _trial: FrozenTrial,
    _name: string,
    d: Distribution,
  ): ParamValue {
    return sampleUniform(this.rng, d);
  }
}

function mutateValue(d: Distribution, value: ParamValue, scale: number, rng: Rng): ParamValue {
  if (d.type === 'categorical') {
    const others = d.choices.filter((c) => c !== value);
    return rng.choice(others);
  }
  const u = toUnit(d, value as number);
  for (let tries = 0; tries < 20; tries++) {
    let v = u + rng.normal(0, scale);
    v = v < 0 ? -v : v > 1 ? 2 - v : v;
    const x = fromUnit(d, v);
    if (x !== value && contains(d, x)) return x;
  }
  return sampleUniform(rng, d);
}
