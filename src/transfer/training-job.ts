/**
 * The training-job use case shared by the job kinds that train and register one model (pretrain,
 * finetune, nas-export): the "already registered, return early" opening,
 * load inputs -> core -> per-epoch checkpoints (TrainingRun) -> evaluate on the held-out split ->
 * register with lineage -> the job's result. A kind supplies only `TrainingJob.train`.
 *
 * The pieces are exported one by one for kinds whose shape differs: prune (several models, each
 * registered through `TrainingRegistryPort.registerJobModel` by src/nas/nas-model.adapter.ts) and
 * nas-trial (no registration: `TrainingRun` for resume and checkpoints).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Dataset, Vocabulary } from '../ml/data';
import { ModelBuffers } from '../ml/io/buffers';
import { checkpointSlot, readModelCheckpoint, storeModelCheckpoint } from '../ml/io/checkpoint';
import type { EpochMetrics, StopReason } from '../ml/train/trainer';
import { JobCancelledError, type JobContext } from '../platform/jobs/job-handler';
import type { InputContract } from '../registry/core/encode';
import type { ModelRecord, NewModel, TrainingRegistryPort } from '../registry/model-registry.port';
import { evaluateOn, reportEpoch, type StoredEvaluation } from './training-support';

/** The held-out split a registered model is evaluated on, encoded as the model expects. */
export interface TestSplit {
  dataset: Dataset;
  contract: InputContract;
  vocabulary?: Vocabulary;
}

/** What a training job's `train` hands back to the use case. */
export interface TrainedModel {
  /** The trained model: the use case registers, then disposes it. */
  model: tf.LayersModel;
  stoppedBy: StopReason;
  /** The epochs of this attempt (those an earlier attempt did are not in it). */
  history: readonly EpochMetrics[];
  /** Epochs an earlier attempt had checkpointed (0: trained from scratch). */
  resumedEpochs: number;
  test: TestSplit;
  /** The registry entry: lineage, input contract, metrics. `backend` and the evaluation are added. */
  entry: Omit<NewModel, 'evaluation'>;
  /** Fields of the job's result besides the common ones (after modelName). */
  summary?(registered: ModelRecord): Record<string, unknown>;
}

/** One job kind's part: load its inputs, train (resuming through `run`), say what it trained. */
export interface TrainingJob<Spec> {
  /**
   * Runs only when the job has not registered its model yet. Disposes whatever it loaded; on
   * success the returned model belongs to the use case, on failure it disposes that too.
   */
  train(spec: Spec, run: TrainingRun): Promise<TrainedModel>;
}

/** The common part of a training job's result. */
export interface TrainingJobResult extends Record<string, unknown> {
  modelId: string;
  backend: string;
}

/**
 * The job context as a training loop uses it: resume state and weights of an earlier attempt,
 * checkpoints (weights in alternating artifact slots, then the state), epoch reports.
 */
export class TrainingRun {
  constructor(
    readonly ctx: JobContext,
    /** The TF.js backend the job runs on (reported in the result and the model's metrics). */
    readonly backend: string,
  ) {}

  /** The state an earlier attempt checkpointed, if `isState` accepts it (else: from scratch). */
  resumeState<S extends { epochsDone: number }>(isState: (v: unknown) => v is S): S | undefined {
    const saved = this.ctx.resumeFrom;
    return isState(saved) ? saved : undefined;
  }

  /** The weights stored with the checkpoint after `epochsDone` epochs. */
  readWeights(epochsDone: number): Promise<ModelBuffers> {
    return readModelCheckpoint(this.ctx, epochsDone);
  }

  /** A file stored beside those weights (`checkpoint(..., files)`). */
  readCheckpointFile(epochsDone: number, name: string): Promise<Buffer> {
    return this.ctx.readArtifact(this.ctx.jobId, `${checkpointSlot(epochsDone).dir}/${name}`);
  }

  /**
   * The checkpoint after `epochsDone` epochs: weights (and `files`) into the epoch's slot, then
   * `state` as the job's checkpoint, which a re-queued attempt gets back as `resumeState`.
   */
  async checkpoint(
    epochsDone: number,
    weights: ModelBuffers,
    state: { epochsDone: number } & Record<string, unknown>,
    files: Record<string, string> = {},
  ): Promise<void> {
    await storeModelCheckpoint(this.ctx, epochsDone, weights);
    for (const [name, data] of Object.entries(files)) {
      await this.ctx.artifact(
        `${checkpointSlot(epochsDone).dir}/${name}`,
        data,
        'application/json',
      );
    }
    await this.ctx.checkpoint(state);
  }

  /** Metrics of the epoch, a log line and progress in [from, to] of the job. */
  reportEpoch(
    metrics: EpochMetrics & Record<string, unknown>,
    epochs: number,
    range: { from: number; to: number },
  ): Promise<void> {
    return reportEpoch(this.ctx, metrics, epochs, range);
  }
}

/** The opening of every training job: the result of a re-run whose model is registered. */
export async function alreadyRegistered(
  registry: Pick<TrainingRegistryPort, 'findByJob'>,
  ctx: JobContext,
  backend: string,
): Promise<TrainingJobResult | null> {
  const done = await registry.findByJob(ctx.projectId, ctx.jobId);
  return done ? { modelId: done.id, backend, resumed: true } : null;
}

/** The evaluation stored with a registered model (null when the test split is empty). */
export function evaluateOnTest(model: tf.LayersModel, test: TestSplit): StoredEvaluation | null {
  return evaluateOn(model, test.dataset, test.contract, test.vocabulary);
}

/**
 * Runs a training job: returns early when the job registered its model already, else trains,
 * fails a cancelled run, evaluates on the test split and registers the model as the job's.
 */
export async function runTrainingJob<Spec>(
  job: TrainingJob<Spec>,
  spec: Spec,
  ctx: JobContext,
  deps: {
    registry: Pick<TrainingRegistryPort, 'findByJob' | 'registerFromJob'>;
    /** The TF.js backend, once selected. */
    backend: () => Promise<string>;
  },
): Promise<TrainingJobResult> {
  const backend = await deps.backend();
  const done = await alreadyRegistered(deps.registry, ctx, backend);
  if (done) return done;
  const trained = await job.train(spec, new TrainingRun(ctx, backend));
  try {
    if (trained.stoppedBy === 'cancelled') throw new JobCancelledError();
    const evaluation = evaluateOnTest(trained.model, trained.test);
    const entry = trained.entry;
    const registered = await deps.registry.registerFromJob(ctx, trained.model, {
      ...entry,
      metrics: { ...entry.metrics, backend },
      evaluation: evaluation ? { ...evaluation } : null,
    });
    await ctx.progress(1, `registered model ${registered.name}`);
    const { history, resumedEpochs } = trained;
    return {
      modelId: registered.id,
      modelName: registered.name,
      ...trained.summary?.(registered),
      backend,
      epochs: history.length + resumedEpochs,
      resumedFromEpoch: resumedEpochs > 0 ? resumedEpochs : null,
      stoppedBy: trained.stoppedBy,
      final: history[history.length - 1] ?? null,
      testAccuracy: evaluation?.accuracy ?? null,
    };
  } finally {
    trained.model.dispose();
  }
}
