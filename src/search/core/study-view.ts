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
}
