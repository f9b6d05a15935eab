/** Independent uniform sampling (log-uniform for log distributions), Optuna's RandomSampler. */
import { Rng } from '../../../platform/core/rng';
import { Distribution, ParamValue, fromUnit } from '../distributions';
import { SettingsReader } from '../settings';
import { EMPTY_SAMPLE, RelativeSample, Sampler } from '../sampler';

/** One uniform draw; numeric values go through the unit cube so steps and logs are honoured. */
export function sampleUniform(rng: Rng, d: Distribution): ParamValue {
  if (d.type === 'categorical') return d.choices[rng.int(0, d.choices.length - 1)];
  return fromUnit(d, rng.float());
}

export class RandomSampler implements Sampler {
  readonly name = 'random';
  private readonly rng: Rng;

  constructor(settings: unknown = {}) {
    const s = new SettingsReader(settings);
    this.rng = new Rng(s.int('seed', 0));
    s.done();
  }

  sampleRelative(): RelativeSample {
    return EMPTY_SAMPLE;
  }

  sampleIndependent(_view: unknown, _trial: unknown, _name: string, d: Distribution): ParamValue {
    return sampleUniform(this.rng, d);
  }
}
