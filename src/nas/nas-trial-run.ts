/**
 * A `nas-trial` job's work (NasTrialHandler runs it; so does runNas, in memory): one candidate
 * of a `nas` job's study. It loads the study and the data set as the driver did, then evaluates
 * the candidate with `evaluateCandidate` (core/candidate.ts), its reports, tell, weights and
 * checkpoints going through the job (nas-trial-io.ts).
 *
 * Resume (TrainingRun, the training jobs' checkpoints): a re-queued attempt (its worker died)
 * rebuilds the candidate, loads the last checkpoint's weights and trains only the remaining
 * epochs; the done epochs' intermediate values are not reported again (an epoch reported but not
 * yet checkpointed is, and the storage keeps one value per step). The optimizer state restarts,
 * as in pretrain.
 *
 * A re-run of a trial that is already finished does nothing. A worker shutdown leaves the trial
 * running for the re-queued job; a user cancel fails it.
 */
import { getBackend } from '@tensorflow/tfjs';
import { ConflictError } from '../platform/errors/domain-error';
import { cancelledIfRequested } from '../platform/jobs/cancelled-if-requested';
import { JobCancelledError, JobContext } from '../platform/jobs/job-handler';
import { FrozenTrial } from '../search/core/trial';
import { TrialJobSpec, tellFromJob } from '../search/handlers/trial-job';
import { TrialJobs } from '../search/handlers/trial-jobs.port';
import { TrainingRun } from '../transfer/training-job';
import { evaluateCandidate } from './core/candidate';
import { LatencyCache } from './core/latency-cost';
import { describeTrial } from './core/nas-report';
import { needsLatency } from './core/objectives';
import { NasModelPort } from './nas-model.port';
import { loadNasData } from './nas-setup';
import { NasStudyRows, loadNasStudy } from './nas-studies';
import {
  artifactWeightStore,
  resumeCheckpoint,
  saveCheckpoint,
  studyTrialHandle,
} from './nas-trial-io';

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

export interface NasTrialOptions {
  /** The latency cache of a trial that measures latency (default: a fresh one per trial). */
  latency?: () => LatencyCache;
  /** Evolution children start from their parent's weights where shapes allow (default true). */
  inheritWeights?: boolean;
}

export class NasTrialRun {
  constructor(
    private readonly port: NasModelPort,
    private readonly rows: NasStudyRows,
    private readonly jobs: Pick<TrialJobs, 'cancelRequested'>,
    private readonly options: NasTrialOptions = {},
  ) {}

  async run(spec: TrialJobSpec, ctx: JobContext): Promise<NasTrialResult> {
    const nas = await loadNasStudy(this.rows, ctx.projectId, spec.studyId);
    const { study } = nas;
    const frozen = await study.storage.getTrial(study.id, spec.trial);
    if (frozen.state !== 'running') {
      // Finished before this job ran: by the driver when the search was cancelled (then this
      // job, claimed in that instant, ends cancelled too), or by an earlier attempt (kept).
      await this.cancelledIfAsked(ctx);
      return result(frozen, true);
    }
    const data = await loadNasData(this.port, ctx.projectId, nas.spec);
    const epochs = nas.spec.budget.epochsPerTrial;
    const inherit =
      (this.options.inheritWeights ?? true) && nas.spec.strategy.name === 'regularized-evolution';
    // Loading the data readied the TF.js backend.
    const run = new TrainingRun(ctx, getBackend());
    try {
      const resume = await resumeCheckpoint(run, frozen.number, epochs);
      const { record, stopped } = await evaluateCandidate(
        {
          space: nas.space,
          data,
          objective: nas.spec.objective,
          constraints: nas.spec.constraints,
          budget: nas.spec.budget,
          seed: nas.spec.seed,
          latency: needsLatency(nas.spec.objective, nas.spec.constraints)
            ? (this.options.latency ?? (() => new LatencyCache()))()
            : undefined,
          weights: inherit ? artifactWeightStore(this.rows, study.id, ctx) : undefined,
          shouldStop: () => ctx.cancelled,
          resume,
          onCheckpoint: (checkpoint) => saveCheckpoint(run, checkpoint),
        },
        studyTrialHandle(study, frozen, ctx, epochs),
      );
      if (stopped) {
        if (await this.jobs.cancelRequested(ctx.jobId)) {
          await study.storage.setTrialUserAttr(study.id, frozen.number, 'error', 'cancelled');
          await tellFromJob(study, frozen.number, () => study.tell(frozen.number, 'failed'));
        }
        throw new JobCancelledError();
      }
      await ctx.log(describeTrial(record));
      const done = await study.storage.getTrial(study.id, frozen.number);
      return {
        ...result(done, false),
        resumedFromEpoch: resume?.epochsDone ?? null,
        accuracy: record.accuracy ?? null,
        ...(record.parent !== undefined && { parent: record.parent }),
        inheritedLayers: record.inheritedLayers,
      };
    } catch (e) {
      // Finished meanwhile by someone else: the driver failed it, after cancelling this job when
      // the user cancelled the search (then this job ends cancelled too); else keep that result.
      if (!(e instanceof ConflictError)) throw e;
      await this.cancelledIfAsked(ctx);
      return result(await study.storage.getTrial(study.id, frozen.number), true);
    } finally {
      data.dispose();
    }
  }

  /** Ends the job cancelled when its cancel was requested (once the heartbeat has seen it). */
  private cancelledIfAsked(ctx: JobContext): Promise<void> {
    return cancelledIfRequested(ctx, () => this.jobs.cancelRequested(ctx.jobId));
  }
}

function result(t: FrozenTrial, alreadyFinished: boolean): NasTrialResult {
  return {
    trial: t.number,
    state: t.state,
    values: t.values ?? null,
    accuracy: null,
    inheritedLayers: [],
    alreadyFinished,
    resumedFromEpoch: null,
  };
}
