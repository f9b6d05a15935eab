/** What samplers and pruners see of a study: a read-only snapshot taken by the Study. */
import { SearchSpace } from './space';
import { Direction, FrozenTrial } from './trial';

export interface StudyView {
  readonly studyId: string;
  readonly studyName: string;
  readonly directions: readonly Direction[];
  /** All trials, ordered by number, as stored when the snapshot was taken. */
  readonly trials: readonly FrozenTrial[];
  /** The declared search space, when the study has one (REST / CLI studies always do). */
  readonly space?: SearchSpace;
  /**
   * Complete trials of an earlier study this one was warm-started from: model-based samplers
   * (GP, auto) use them as prior observations; they are not this study's trials.
   */
  readonly priorTrials?: readonly FrozenTrial[];
}
