/**
 * What every trial job shares (`trial-command`, `nas-trial`): the spec `{ studyId, trial }` the
 * driver queues, and the tell of a job that may lose the race to its driver.
 */
import { ConflictError } from '../../platform/errors/domain-error';
import { Study } from '../core/study';
import { FrozenTrial } from '../core/trial';
import { TrialJobSpec, trialJobSpec } from '../search-jobs.schema';

export type { TrialJobSpec } from '../search-jobs.schema';

/** The spec of every trial job, `{ studyId, trial }`, checked by its schema. */
export function validateTrialJobSpec(raw: unknown): TrialJobSpec {
  return trialJobSpec.parse(raw);
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
