/**
 * A sampler whose random stream is a function of (study seed, trial number) instead of the
 * process's history of calls. The service builds samplers afresh per request (REST ask) and per
 * driver attempt (a restarted study job), possibly in several processes at once: with one seeded
 * stream per process every new instance would replay the same draws (trial 7 after a restart
 * would repeat trial 0's parameters). The samplers already rebuild their model state from the
 * stored trials (TPE from history, CMA-ES by replaying generations), so a fresh instance per
 * trial loses nothing. QMC and grid keep the study seed: their proposals are already indexed by
 * trial number or by the stored grid ids, and the seed fixes the scramble / order for the whole
 * study. Samplers that need more than a name and settings (NAS evolution needs the architecture
 * space) pass their own factory.
 */
import { Distribution, ParamValue } from '../distributions';
import { AlgorithmConfig } from '../settings';
import { StudyView } from '../study-view';
import { FrozenTrial } from '../trial';
import { createSampler } from './sampler-registry';
import { RelativeSample, Sampler } from '../sampler';

const STUDY_SEEDED = new Set(['qmc', 'grid']);
const CACHE = 16;

/** Seed of one trial: a 32-bit mix (golden-ratio multiply) of the study seed and trial number. */
export function trialSeed(studySeed: number, trialNumber: number): number {
  return (Math.imul(trialNumber + 1, 0x9e3779b1) ^ Math.imul(studySeed, 0x85ebca6b)) >>> 1;
}

export class TrialSeededSampler implements Sampler {
  readonly name: string;
  private readonly instances = new Map<number, Sampler>();
  private readonly seed: number;

  constructor(
    private readonly config: AlgorithmConfig,
    private readonly create: (settings: Record<string, unknown>) => Sampler = (settings) =>
      createSampler(config.name, settings),
  ) {
    this.name = config.name;
    const s = config.settings.seed;
    this.seed = typeof s === 'number' ? s : 0;
    create(config.settings); // validates the settings now
  }

  sampleRelative(view: StudyView, trial: FrozenTrial): RelativeSample {
    return this.forTrial(trial.number).sampleRelative(view, trial);
  }

  sampleIndependent(
    view: StudyView,
    trial: FrozenTrial,
    name: string,
    distribution: Distribution,
  ): ParamValue {
    return this.forTrial(trial.number).sampleIndependent(view, trial, name, distribution);
  }

  private forTrial(n: number): Sampler {
    let s = this.instances.get(n);
    if (!s) {
      const seed = STUDY_SEEDED.has(this.name) ? this.seed : trialSeed(this.seed, n);
      s = this.create({ ...this.config.settings, seed });
      if (this.instances.size >= CACHE)
        this.instances.delete(this.instances.keys().next().value as number);
      this.instances.set(n, s);
    }
    return s;
  }
}
