import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../ml/data';
import type { JobContext } from '../platform/jobs/job-handler';
import { DynamicsRecorder, SampleRecords } from './core/dynamics-recorder';
import type { TrainingRun } from './training-job';

const FILE = 'dynamics.json';

/**
 * Per-sample training dynamics of a finetune job with `recordDynamics` (the mislabel gallery of
 * src/interpret): recorded on the un-augmented training examples after every epoch, stored
 * beside each checkpoint's weights so a re-queued attempt continues the records, and written as
 * the job's `dynamics.json` artifact at the end.
 */
export class FinetuneDynamics {
  private readonly recorder: DynamicsRecorder;

  /** `originals`: the training examples (not owned); `ids`: their indices in the data set. */
  constructor(originals: tf.Tensor, train: Dataset, ids: readonly number[]) {
    this.recorder = new DynamicsRecorder(originals, [...train.labels], ids.map(String));
  }

  /** Takes back the records an earlier attempt checkpointed after `epochsDone` epochs. */
  async resume(run: TrainingRun, epochsDone: number): Promise<void> {
    const saved = JSON.parse(
      (await run.readCheckpointFile(epochsDone, FILE)).toString('utf8'),
    ) as SampleRecords[];
    saved.forEach((s, i) => this.recorder.samples[i].epochs.push(...s.epochs));
  }

  record(model: tf.LayersModel, epoch: number): void {
    this.recorder.record(model, epoch);
  }

  /** What a checkpoint stores beside the weights. */
  checkpointFiles(): Record<string, string> {
    return { [FILE]: JSON.stringify(this.recorder.samples) };
  }

  /** The job's `dynamics.json`: the data set, split, class names and every sample's records. */
  async store(ctx: JobContext, dataset: string, classNames: readonly string[]): Promise<void> {
    await ctx.artifact(
      FILE,
      JSON.stringify({ dataset, split: 'train', classNames, samples: this.recorder.samples }),
      'application/json',
    );
  }
}
