/**
 * The sampler family (Optuna's BaseSampler shape). At ask time the study calls `sampleRelative`
 * once: the sampler proposes values for the parameters it models jointly (CMA-ES, multivariate
 * TPE, grid, QMC, evolution). Every parameter it did not propose is drawn by `sampleIndependent`
 * when the objective suggests it, which is how conditional (define-by-run) parameters work.
 */
import { Distribution, ParamValue } from './distributions';
import { StudyView } from './study-view';
import { FrozenTrial, JsonValue } from './trial';

export interface ProposedParam {
  distribution: Distribution;
  value: ParamValue;
}

export interface RelativeSample {
  params: Record<string, ProposedParam>;
  /** Bookkeeping stored on the new trial (grid id, generation ...). */
  systemAttrs?: Record<string, JsonValue>;
}

export interface Sampler {
  /** The API name, as in the registry. */
  readonly name: string;
  sampleRelative(view: StudyView, trial: FrozenTrial): RelativeSample;
  sampleIndependent(
    view: StudyView,
    trial: FrozenTrial,
    name: string,
    distribution: Distribution,
  ): ParamValue;
}

export const EMPTY_SAMPLE: RelativeSample = { params: {} };
