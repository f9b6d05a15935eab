/**
 * Job kind `nas-trial`: one candidate of a `nas` job's study (child job, parentId = the nas job,
 * spec `{ studyId, trial }`). It loads the study from PostgreSQL and the data set as the driver
 * did, then evaluates the candidate with `evaluateCandidate` (candidate.ts): per-epoch reports go
 * through the shared storage, so ASHA / Hyperband prune against trials of other processes, and the
 * job tells the result itself (stored even while the driver is down).
 *
 * Weight inheritance across jobs: with regularized evolution a trained candidate's weights are
 * stored as this job's artifact `weights.bin` (before the tell, so a parent's snapshot exists
 * once it can be chosen). A child finds its parent's trial job through `trials.job_id` and reads
 * that artifact; a missing one (not written, artifacts removed) means fresh initialisation.
 *
 * Resume: after every trained epoch the candidate's model is stored as checkpoint artifacts
 * (ml/io/checkpoint.ts, as pretrain and finetune do) and `ctx.checkpoint` records the epochs done
 * and their validation accuracies. A re-queued attempt (its worker died) rebuilds the candidate,
 * loads those weights and trains only the remaining epochs; the done epochs' intermediate values
 * are not reported again (an epoch reported but not yet checkpointed is, and the storage keeps
 * one value per step). The optimizer state restarts, as in pretrain.
 *
 * A re-run of a trial that is already finished does nothing. A worker shutdown leaves the trial
 * running for the re-queued job; a user cancel fails it.
 */
import { once } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { readModelCheckpoint, storeModelCheckpoint } from '../ml/io/checkpoint';
import { ConflictError } from '../platform/errors/domain-error';
import { JobCancelledError, JobContext, JobHandler } from '../platform/jobs/job-handler';
import { FrozenTrial } from '../search/core/trial';
import {
  TrialJobSpec,
  cancelRequested,
  tellFromJob,
  validateTrialJobSpec,
} from '../search/handlers/trial-job-driver';
import {
  CandidateCheckpoint,
  CandidateTrial,
  WeightStore,
  evaluateCandidate,
} from './core/candidate';
import { LatencyCache } from './core/latency-cost';
import { NAS_MODEL_PORT, NasModelPort } from './nas-model.port';
import { describeTrial } from './core/nas-report';
import { storedRecord } from './core/nas-summary';
import { loadNasData } from './nas-setup';
import { NasStudy, loadNasStudy } from './nas-study';
import { needsLatency } from './core/objectives';
import { decodeSnapshot, encodeSnapshot } from './core/weight-inheritance';

export interface NasTrialResult {
  trial: number;
  state: FrozenTrial['state'];
  values: number[] | null;
  accuracy: number | null;
  /** Evolution: the parent trial and the layers copied from its `weights.bin`. */
  parent?: number;
  inheritedLayers: string[];
  /** True when the trial was already finished (a re-queued job never re-runs a told trial). */
  alreadyFinished: boolean;
  /** Epochs an earlier attempt had trained and checkpointed (null: trained from scratch). */
  resumedFromEpoch: number | null;
}

export const WEIGHTS_ARTIFACT = 'weights.bin';

/** `ctx.checkpoint` state; `artifact` names the slot folder holding the weights (for operators). */
interface NasTrialCheckpoint {
  epochsDone: number;
  valAccuracyPerEpoch: number[];
  inheritedLayers: string[];
  artifact: string;
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

@Injectable()
export class NasTrialHandler implements JobHandler<TrialJobSpec, NasTrialResult> {
  readonly kind = 'nas-trial';

  constructor(
    @Inject(NAS_MODEL_PORT) private readonly port: NasModelPort,
    private readonly db: DataSource,
  ) {}

  validate(raw: unknown): TrialJobSpec {
    return validateTrialJobSpec(raw);
  }

  async run(spec: TrialJobSpec, ctx: JobContext): Promise<NasTrialResult> {
    const nas = await loadNasStudy(this.db, ctx.projectId, spec.studyId);
    const { study } = nas;
    const frozen = await study.storage.getTrial(study.id, spec.trial);
    if (frozen.state !== 'running') return result(frozen, null, true);
    const data = await loadNasData(this.port, ctx.projectId, nas.spec);
    const epochs = nas.spec.budget.epochsPerTrial;
    try {
      const resume = await this.resumeState(ctx, frozen.number, epochs);
      const { record, stopped } = await evaluateCandidate(
        {
          space: nas.space,
          data,
          objective: nas.spec.objective,
          constraints: nas.spec.constraints,
          budget: nas.spec.budget,
          seed: nas.spec.seed,
          latency: needsLatency(nas.spec.objective, nas.spec.constraints)
            ? new LatencyCache()
            : undefined,
          weights:
            nas.spec.strategy.name === 'regularized-evolution'
              ? this.weightStore(nas, ctx)
              : undefined,
          shouldStop: () => ctx.cancelled,
          resume,
          onCheckpoint: async ({ weights, ...state }) => {
            const artifact = await storeModelCheckpoint(ctx, state.epochsDone, weights);
            await ctx.checkpoint({ ...state, artifact } satisfies NasTrialCheckpoint);
          },
        },
        this.handle(nas, frozen, ctx, epochs),
      );
      if (stopped) {
        if (await cancelRequested(this.db, ctx.jobId)) {
          await study.storage.setTrialUserAttr(study.id, frozen.number, 'error', 'cancelled');
          await tellFromJob(study, frozen.number, () => study.tell(frozen.number, 'failed'));
        }
        throw new JobCancelledError();
      }
      await ctx.log(describeTrial(record));
      const done = await study.storage.getTrial(study.id, frozen.number);
      return {
        ...result(done, null, false),
        resumedFromEpoch: resume?.epochsDone ?? null,
        accuracy: record.accuracy ?? null,
        ...(record.parent !== undefined && { parent: record.parent }),
        inheritedLayers: record.inheritedLayers,
      };
    } catch (e) {
      // Finished meanwhile by someone else: the driver failed it, after cancelling this job when
      // the user cancelled the search (then this job ends cancelled too); else keep that result.
      if (!(e instanceof ConflictError)) throw e;
      if (await cancelRequested(this.db, ctx.jobId)) {
        // The platform ends a job cancelled only once its heartbeat has seen the request.
        if (!ctx.signal.aborted) await once(ctx.signal, 'abort');
        throw new JobCancelledError();
      }
      return result(await study.storage.getTrial(study.id, frozen.number), null, true);
    } finally {
      data.dispose();
    }
  }

  /** The checkpoint of an earlier attempt with its weights, or undefined (train from scratch). */
  private async resumeState(
    ctx: JobContext,
    trial: number,
    epochs: number,
  ): Promise<CandidateCheckpoint | undefined> {
    const saved = ctx.resumeFrom;
    if (!isCheckpoint(saved, epochs)) return undefined;
    const { epochsDone, valAccuracyPerEpoch, inheritedLayers } = saved;
    const weights = await readModelCheckpoint(ctx, epochsDone);
    await ctx.log(
      `resuming trial ${trial} from the checkpoint after epoch ${epochsDone} of ${epochs}`,
    );
    return { epochsDone, valAccuracyPerEpoch, inheritedLayers, weights };
  }

  /** The trial through the stateless Study API on PostgreSQL. */
  private handle(
    nas: NasStudy,
    frozen: FrozenTrial,
    ctx: JobContext,
    epochs: number,
  ): CandidateTrial {
    const { study } = nas;
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

  private weightStore(nas: NasStudy, ctx: JobContext): WeightStore {
    return {
      load: async (parent) => {
        const rows: { job_id: string | null }[] = await this.db.query(
          `SELECT job_id FROM trials WHERE study_id = $1 AND number = $2`,
          [nas.study.id, parent],
        );
        const jobId = rows[0]?.job_id;
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
}

function result(t: FrozenTrial, accuracy: number | null, alreadyFinished: boolean): NasTrialResult {
  return {
    trial: t.number,
    state: t.state,
    values: t.values ?? null,
    accuracy,
    inheritedLayers: [],
    alreadyFinished,
    resumedFromEpoch: null,
  };
}
