/**
 * What every trial job shares (`trial-command`, `nas-trial`): the spec `{ studyId, trial }` the
 * driver queues, and the tell of a job that may lose the race to its driver.
 */
import { ConflictError } from '../../platform/errors/domain-error';
import { assertUuid } from '../../platform/jobs/jobs.service';
import {
  readInt,
  readObject,
  readString,
  rejectUnknownFields,
} from '../../platform/validation/spec-reader';
import { Study } from '../core/study';
import { FrozenTrial } from '../core/trial';

/** The spec of every trial job: `{ studyId, trial }`. */
export interface TrialJobSpec {
  studyId: string;
  trial: number;
}

export function validateTrialJobSpec(raw: unknown): TrialJobSpec {
  const o = readObject(raw, 'spec');
  rejectUnknownFields(o, ['studyId', 'trial'], 'spec');
  const studyId = readString(o, 'studyId', { default: undefined, maxLength: 36 }, 'spec') as string;
  assertUuid(studyId, 'spec.studyId');
  const trial = readInt(o, 'trial', { default: undefined, min: 0, max: 2 ** 31 - 1 }, 'spec');
  return { studyId, trial: trial as number };
}

/** Tells from a trial job; a trial someone else finished meanwhile (the driver) keeps that. */
export async function tellFromJob(
  study: Study,
  trialNumber: number,
  tell: () => Promise<FrozenTrial>,
): Promise<FrozenTrial> {
  try {
    return await tell();
  } catch (e) {
    if (e instanceof ConflictError) return study.storage.getTrial(study.id, trialNumber);
    throw e;
  }
}
