/**
 * Where a `nas-trial` job keeps what outlives it, through its JobContext:
 * - the trial itself, through the stateless Study API on the shared storage (per-epoch reports,
 *   so ASHA / Hyperband prune against trials of other processes; the tell, stored even while the
 *   driver is down);
 * - weights for evolution children: a trained candidate's weights are the job's artifact
 *   `weights.bin` (written before the tell, so a parent's snapshot exists once it can be chosen);
 *   a child finds its parent's trial job through `trials.job_id` and reads that artifact; a
 *   missing one (not written, artifacts removed) means fresh initialisation;
 * - per-epoch checkpoints for a re-queued attempt, kept the way every training job keeps them
 *   (TrainingRun, src/transfer/training-job.ts: model files in alternating slots, then the state
 *   with the epochs done and their validation accuracies).
 */
import { checkpointSlot } from '../ml/io/checkpoint';
import { JobContext } from '../platform/jobs/job-handler';
import { Study } from '../search/core/study';
import { FrozenTrial } from '../search/core/trial';
import { tellFromJob } from '../search/handlers/trial-job';
import { CandidateCheckpoint, CandidateTrial, WeightStore } from './core/candidate';
import { storedRecord } from './core/nas-summary';
import { decodeSnapshot, encodeSnapshot } from './core/weight-inheritance';
import type { TrainingRun } from '../transfer/training-job';
import { NasStudyRows } from './nas-studies';

export const WEIGHTS_ARTIFACT = 'weights.bin';

/** The checkpoint state; `artifact` names the slot folder holding the weights (for operators). */
type NasTrialCheckpoint = {
  epochsDone: number;
  valAccuracyPerEpoch: number[];
  inheritedLayers: string[];
  artifact: string;
};

/** The trial through the stateless Study API; progress per reported epoch. */
export function studyTrialHandle(
  study: Study,
  frozen: FrozenTrial,
  ctx: JobContext,
  epochs: number,
): CandidateTrial {
  const n = frozen.number;
  // Attribute writes run in the background (like Trial.setUserAttr); the first error surfaces
  // at the next report or tell.
  let writes: Promise<void> = Promise.resolve();
  let writeError: unknown;
  const flush = async (): Promise<void> => {
    await writes;
    if (writeError !== undefined) throw writeError;
  };
  return {
    number: n,
    params: frozen.params,
    systemAttrs: frozen.systemAttrs,
    setUserAttr: (k, v) => {
      writes = writes
        .then(() => study.storage.setTrialUserAttr(study.id, n, k, v))
        .catch((e: unknown) => {
          writeError ??= e;
        });
    },
    report: async (values, step) => {
      await flush();
      const { shouldPrune } = await study.report(n, values, step);
      await ctx.progress((step + 1) / epochs, `epoch ${step + 1}/${epochs}`);
      return shouldPrune;
    },
    tell: async (res, record) => {
      await flush();
      await study.storage.setTrialUserAttr(study.id, n, 'nas', storedRecord(record));
      return tellFromJob(study, n, () => study.tell(n, res));
    },
  };
}

/** Parents' weights as artifacts of their trial jobs; this trial's as its own. */
export function artifactWeightStore(
  rows: NasStudyRows,
  studyId: string,
  ctx: JobContext,
): WeightStore {
  return {
    load: async (parent) => {
      const jobId = await rows.trialJobId(studyId, parent);
      if (!jobId) return undefined;
      try {
        return decodeSnapshot(await ctx.readArtifact(jobId, WEIGHTS_ARTIFACT));
      } catch (e) {
        await ctx.log(
          `no weights of parent trial ${parent} (${e instanceof Error ? e.message : String(e)}): fresh initialisation`,
          'warn',
        );
        return undefined;
      }
    },
    save: async (_n, weights) => {
      await ctx.artifact(WEIGHTS_ARTIFACT, encodeSnapshot(weights), 'application/octet-stream');
    },
  };
}

/** Stores the checkpoint after an epoch: model files first, then the state that names them. */
export async function saveCheckpoint(
  run: TrainingRun,
  { weights, ...state }: CandidateCheckpoint,
): Promise<void> {
  const artifact = checkpointSlot(state.epochsDone).dir;
  await run.checkpoint(state.epochsDone, weights, {
    ...state,
    artifact,
  } satisfies NasTrialCheckpoint);
}

/** The checkpoint of an earlier attempt with its weights, or undefined (train from scratch). */
export async function resumeCheckpoint(
  run: TrainingRun,
  trial: number,
  epochs: number,
): Promise<CandidateCheckpoint | undefined> {
  const saved = run.resumeState((v): v is NasTrialCheckpoint => isCheckpoint(v, epochs));
  if (!saved) return undefined;
  const { epochsDone, valAccuracyPerEpoch, inheritedLayers } = saved;
  const weights = await run.readWeights(epochsDone);
  await run.ctx.log(
    `resuming trial ${trial} from the checkpoint after epoch ${epochsDone} of ${epochs}`,
  );
  return { epochsDone, valAccuracyPerEpoch, inheritedLayers, weights };
}

/** A usable checkpoint for a trial of `epochs` epochs (anything else: train from scratch). */
function isCheckpoint(v: unknown, epochs: number): v is NasTrialCheckpoint {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Partial<NasTrialCheckpoint>;
  return (
    Number.isInteger(c.epochsDone) &&
    (c.epochsDone as number) >= 1 &&
    (c.epochsDone as number) <= epochs &&
    Array.isArray(c.valAccuracyPerEpoch) &&
    c.valAccuracyPerEpoch.length === c.epochsDone &&
    c.valAccuracyPerEpoch.every((a) => typeof a === 'number') &&
    Array.isArray(c.inheritedLayers) &&
    c.inheritedLayers.every((l) => typeof l === 'string')
  );
}
