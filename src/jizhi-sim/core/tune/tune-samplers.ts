import { ValidationError } from '../../../platform/errors/domain-error';
import { createSampler } from '../../../search/samplers/registry';
import { Sampler } from '../../../search/samplers/sampler';

/** Samplers of the project's search engine (src/search/samplers/registry.ts) offered to the tuner. */
export const TUNE_SAMPLERS = ['tpe', 'tpe-multivariate', 'nsga2', 'random', 'grid'] as const;
export type TuneSamplerName = (typeof TUNE_SAMPLERS)[number];

/** The sampler validates `options`; a bad setting is reported as `samplerOptions.<name>`. */
export function createTuneSampler(
  name: TuneSamplerName,
  seed: number,
  options: Record<string, unknown> = {},
): Sampler {
  try {
    return createSampler(name, { ...options, seed });
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const problems = e.problems.map((p) => ({
      field: `samplerOptions.${p.field}`,
      message: p.message,
    }));
    throw new ValidationError(`invalid samplerOptions: ${e.message}`, problems);
  }
}
