/** Sampler registry: API name -> class. Settings are validated by each constructor. */
import { ValidationError } from '../../../platform/errors/domain-error';
import { AutoSampler } from './auto';
import { CmaEsSampler } from './cmaes';
import { GpSampler } from './gp-sampler';
import { GridSampler } from './grid';
import { Nsga2Sampler } from './nsga2';
import { Nsga3Sampler } from './nsga3';
import { QmcSampler } from './qmc';
import { RandomSampler } from './random';
import { RegularizedEvolutionSampler } from './regularized-evolution';
import { Sampler } from '../sampler';
import { MultivariateTpeSampler, TpeSampler } from './tpe';

export const SAMPLERS: Readonly<Record<string, new (settings?: unknown) => Sampler>> = {
  random: RandomSampler,
  grid: GridSampler,
  qmc: QmcSampler,
  tpe: TpeSampler,
  'tpe-multivariate': MultivariateTpeSampler,
  cmaes: CmaEsSampler,
  'regularized-evolution': RegularizedEvolutionSampler,
  nsga2: Nsga2Sampler,
  nsga3: Nsga3Sampler,
  gp: GpSampler,
  auto: AutoSampler,
};

export const SAMPLER_NAMES = Object.keys(SAMPLERS);

/** Builds a sampler by API name; errors name `name` or the offending setting. */
export function createSampler(name: string, settings: unknown = {}): Sampler {
  const Ctor = Object.prototype.hasOwnProperty.call(SAMPLERS, name) ? SAMPLERS[name] : undefined;
  if (!Ctor)
    throw ValidationError.field(
      'name',
      `unknown sampler ${JSON.stringify(name)} (known: ${SAMPLER_NAMES.join(', ')})`,
    );
  return new Ctor(settings);
}
