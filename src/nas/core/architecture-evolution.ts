/**
 * Regularized evolution over architecture encodings: the search engine's
 * RegularizedEvolutionSampler (Real et al. 2019, Algorithm 1: aging population, tournament,
 * feasibility-first / non-dominated ranking) with a mutation on encodings instead of on one
 * parameter. The child is the parent's *encoding* with one of the space's mutation operators
 * applied (op / width / depth / stride), so a depth mutation inserts or removes a whole block
 * instead of toggling an unrelated conditional parameter. The child's parameters are the
 * encoding's active parameters; the parent's number is stored as `evolution:parent` (the trial
 * uses it for weight inheritance) and the mutation as `evolution:mutation`. Defaults sized for
 * NAS budgets: population 20, tournament 5.
 */
import {
  EvolutionVariant,
  RegularizedEvolutionSampler,
} from '../../search/core/samplers/regularized-evolution';
import { RelativeSample } from '../../search/core/sampler';
import { SearchSpace } from '../../search/core/space';
import { ArchitectureSpace, mutate } from './spaces/architecture-space';

export function architectureEvolution<E>(
  space: ArchitectureSpace<E>,
  searchSpace: SearchSpace,
): EvolutionVariant {
  const distributions = new Map(searchSpace.params.map((p) => [p.name, p.distribution]));
  return {
    defaults: { populationSize: 20, sampleSize: 5 },
    mutation: () => ({
      mutate(parent, rng): RelativeSample {
        const m = mutate(space, space.decode(parent.params), rng);
        if (!m) return { params: {}, systemAttrs: { 'evolution:parent': parent.number } };
        const params: RelativeSample['params'] = {};
        for (const [name, value] of Object.entries(space.encode(m.result))) {
          const distribution = distributions.get(name);
          if (distribution) params[name] = { distribution, value };
        }
        return {
          params,
          systemAttrs: { 'evolution:parent': parent.number, 'evolution:mutation': m.describe },
        };
      },
    }),
  };
}

/** The sampler of a NAS study with strategy `regularized-evolution`. */
export function architectureEvolutionSampler<E>(
  space: ArchitectureSpace<E>,
  searchSpace: SearchSpace,
  settings: unknown = {},
): RegularizedEvolutionSampler {
  return new RegularizedEvolutionSampler(settings, architectureEvolution(space, searchSpace));
}
