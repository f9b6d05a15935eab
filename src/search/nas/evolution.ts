/**
 * Regularized (aging) evolution over architecture encodings (Real et al. 2019, Algorithm 1), the
 * NAS counterpart of samplers/regularized-evolution.ts: same population (the `populationSize`
 * most recent complete trials), tournament of `sampleSize`, feasibility-first / non-dominated
 * ranking; but the child is the parent's *encoding* with one of the space's mutation operators
 * applied (op / width / depth / stride), so a depth mutation inserts or removes a whole block
 * instead of toggling an unrelated conditional parameter. The child's parameters are the
 * encoding's active parameters; the parent's number is stored as `evolution:parent` (the driver
 * uses it for weight inheritance) and the mutation as `evolution:mutation`.
 */
import { Rng } from '../../platform/core/rng';
import { ValidationError } from '../../platform/errors/domain-error';
import { Distribution, ParamValue } from '../core/distributions';
import { constrainedRanks } from '../core/multi-objective';
import { SettingsReader } from '../core/settings';
import { SearchSpace } from '../core/space';
import { StudyView } from '../core/study-view';
import { FrozenTrial } from '../core/trial';
import { sampleUniform } from '../samplers/random';
import { EMPTY_SAMPLE, RelativeSample, Sampler } from '../samplers/sampler';
import { ArchitectureSpace, mutate } from './spaces/architecture-space';

export class ArchitectureEvolutionSampler<E> implements Sampler {
  readonly name = 'regularized-evolution';
  private readonly rng: Rng;
  readonly populationSize: number;
  readonly sampleSize: number;
  private readonly distributions: Map<string, Distribution>;

  constructor(
    private readonly space: ArchitectureSpace<E>,
    searchSpace: SearchSpace,
    settings: unknown = {},
  ) {
    const s = new SettingsReader(settings);
    this.rng = new Rng(s.int('seed', 0));
    this.populationSize = s.int('populationSize', 20, 2);
    this.sampleSize = s.int('sampleSize', 5, 1);
    s.done();
    if (this.sampleSize > this.populationSize)
      throw ValidationError.field(
        'sampleSize',
        `must be <= populationSize (${this.populationSize}), got ${this.sampleSize}`,
      );
    this.distributions = new Map(searchSpace.params.map((p) => [p.name, p.distribution]));
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
      const vi = (sample[i].values as number[])[0];
      const vb = (sample[best].values as number[])[0];
      if (ranks[i] < ranks[best] || (ranks[i] === ranks[best] && sign * vi < sign * vb)) best = i;
    }
    const parent = sample[best];
    const m = mutate(this.space, this.space.decode(parent.params), this.rng);
    if (!m) return { params: {}, systemAttrs: { 'evolution:parent': parent.number } };
    const params: RelativeSample['params'] = {};
    for (const [name, value] of Object.entries(this.space.encode(m.result))) {
      const distribution = this.distributions.get(name);
      if (distribution) params[name] = { distribution, value };
    }
    return {
      params,
      systemAttrs: { 'evolution:parent': parent.number, 'evolution:mutation': m.describe },
    };
  }

  sampleIndependent(_v: StudyView, _t: FrozenTrial, _n: string, d: Distribution): ParamValue {
    return sampleUniform(this.rng, d);
  }
}
