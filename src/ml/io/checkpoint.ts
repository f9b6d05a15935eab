/**
 * Per-epoch model checkpoints of a job, shared by every training job kind (pretrain, finetune,
 * nas-trial): the model's two files stored as artifacts of the job, and the way back into a model.
 *
 * Two artifact slots, alternating by epoch: an attempt killed while writing epoch k's files
 * leaves epoch k-1's slot, which the last recorded job checkpoint names, intact. (One slot
 * would let a torn write pair epoch k's weights with a checkpoint that says k-1 epochs.)
 */
import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../../platform/errors/domain-error';
import { loadModelFromBuffers, ModelBuffers } from './buffers';

/** The artifact side of a job context (structurally a subset of JobContext). */
export interface CheckpointArtifacts {
  readonly jobId: string;
  artifact(name: string, data: Buffer | string, contentType?: string): Promise<unknown>;
  readArtifact(jobId: string, name: string): Promise<Buffer>;
}

/** The slot of the checkpoint after `epochsDone` epochs: its folder and model files. */
export function checkpointSlot(epochsDone: number): { dir: string; json: string; weights: string } {
  const dir = `checkpoint/${epochsDone % 2}`;
  return { dir, json: `${dir}/model.json`, weights: `${dir}/weights.bin` };
}

/**
 * Stores the model files of the checkpoint after `epochsDone` epochs; call it before recording
 * `epochsDone` with ctx.checkpoint. Returns the slot folder the files went to.
 */
export async function storeModelCheckpoint(
  store: CheckpointArtifacts,
  epochsDone: number,
  buffers: ModelBuffers,
): Promise<string> {
  const slot = checkpointSlot(epochsDone);
  await store.artifact(slot.json, buffers.modelJson, 'application/json');
  await store.artifact(slot.weights, buffers.weights, 'application/octet-stream');
  return slot.dir;
}

/** Reads back the model files this job stored after `epochsDone` epochs. */
export async function readModelCheckpoint(
  store: CheckpointArtifacts,
  epochsDone: number,
): Promise<ModelBuffers> {
  const slot = checkpointSlot(epochsDone);
  return {
    modelJson: await store.readArtifact(store.jobId, slot.json),
    weights: await store.readArtifact(store.jobId, slot.weights),
  };
}

/**
 * Puts a checkpoint's weights into `target`, which must have been rebuilt exactly as the run that
 * saved it built it (same architecture, head and freeze), so the weights line up one to one.
 * `field` names the checkpoint in the error when they do not.
 */
export async function loadCheckpointWeights(
  target: tf.LayersModel,
  weights: ModelBuffers,
  field = 'resume.weights',
): Promise<void> {
  const saved = await loadModelFromBuffers(weights.modelJson, weights.weights);
  try {
    const values = saved.getWeights();
    const expected = target.getWeights();
    if (
      values.length !== expected.length ||
      values.some((v, i) => !tf.util.arraysEqual(v.shape, expected[i].shape))
    ) {
      throw ValidationError.field(
        field,
        `the checkpoint holds ${values.length} weights that do not match the ${expected.length} of the rebuilt model`,
      );
    }
    target.setWeights(values);
  } finally {
    saved.dispose();
  }
}
