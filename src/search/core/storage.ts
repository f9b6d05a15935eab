/**
 * The storage port. Everything async because the production adapter is PostgreSQL shared by many
 * workers; the in-memory adapter implements the same contract (test/support/study-storage.contract.ts).
 */
import { Distribution, ParamValue } from './distributions';
import { Direction, FrozenTrial, JsonValue, StudyRecord, TrialState } from './trial';

export interface CreateStudyInput {
  name: string;
  directions: Direction[];
  userAttrs?: Record<string, JsonValue>;
}

export interface FinishTrialInput {
  state: Exclude<TrialState, 'running'>;
  /** Required (one per direction) when state is complete. */
  values?: number[];
  constraints?: number[];
}

export interface StudyStorage {
  createStudy(input: CreateStudyInput): Promise<StudyRecord>;
  /** Throws NotFoundError. */
  getStudy(studyId: string): Promise<StudyRecord>;
  /**
   * Creates a running trial whose number is unique within the study and assigned atomically
   * (0, 1, 2 ... in creation order), even when many processes ask at once.
   */
  createTrial(studyId: string, systemAttrs?: Record<string, JsonValue>): Promise<FrozenTrial>;
  /** Throws ConflictError when the trial is finished or the name already has another value. */
  setTrialParam(
    studyId: string,
    trialNumber: number,
    name: string,
    value: ParamValue,
    distribution: Distribution,
  ): Promise<void>;
  setTrialSystemAttr(
    studyId: string,
    trialNumber: number,
    key: string,
    value: JsonValue,
  ): Promise<void>;
  setTrialUserAttr(
    studyId: string,
    trialNumber: number,
    key: string,
    value: JsonValue,
  ): Promise<void>;
  /** Stores (or overwrites) the intermediate values of one step; ConflictError once finished. */
  reportIntermediate(
    studyId: string,
    trialNumber: number,
    step: number,
    values: number[],
  ): Promise<void>;
  /** Finishes a running trial; a second finish is refused with ConflictError (no silent overwrite). */
  finishTrial(studyId: string, trialNumber: number, input: FinishTrialInput): Promise<FrozenTrial>;
  /** Throws NotFoundError. */
  getTrial(studyId: string, trialNumber: number): Promise<FrozenTrial>;
  /** Trials ordered by number, optionally filtered by state. */
  listTrials(studyId: string, states?: readonly TrialState[]): Promise<FrozenTrial[]>;
}
