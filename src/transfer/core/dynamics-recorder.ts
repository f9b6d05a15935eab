import * as tf from '@tensorflow/tfjs';
import { predictBatches } from '../../ml/train/evaluate';

/**
 * Per-sample training dynamics for the explanations service (src/interpret/core/training-dynamics.ts:
 * area under the margin, Pleiss et al. 2020; forgetting events, Toneva et al. 2019).
 *
 * The zoo models end in a softmax, so logits are not observable; log-probabilities stand in for
 * them. log p_k = z_k - logsumexp(z) shifts every class of a sample by the same constant, so the
 * margin assignedLogit - largestOtherLogit (what AUM averages) and the argmax are exactly those
 * of the logits; only the absolute values differ.
 */
export interface DynamicsRecord {
  epoch: number;
  loss: number;
  assignedLogit: number;
  largestOtherLogit: number;
  correct: boolean;
  /** The label the example carries and the class predicted this epoch (the mislabel gallery). */
  label: number;
  predicted: number;
}

const EPS = 1e-7;

/** One record per sample from its softmax output `probs[i]` and assigned label `labels[i]`. */
export function dynamicsRecords(
  probs: readonly (readonly number[])[],
  labels: readonly number[],
  epoch: number,
): DynamicsRecord[] {
  return probs.map((p, i) => {
    const y = labels[i];
    const logp = p.map((v) => Math.log(v + EPS));
    let other = -Infinity;
    let argmax = 0;
    for (let k = 0; k < p.length; k++) {
      if (p[k] > p[argmax]) argmax = k;
      if (k !== y && logp[k] > other) other = logp[k];
    }
    return {
      epoch,
      loss: -logp[y],
      assignedLogit: logp[y],
      largestOtherLogit: other,
      correct: argmax === y,
      label: y,
      predicted: argmax,
    };
  });
}

/** One training example's records, as src/interpret/core/training-dynamics.ts reads them. */
export interface SampleRecords {
  /** Index of the example in the stored data set. */
  id: string;
  epochs: DynamicsRecord[];
}

/**
 * Collects the records of every training example at the end of each epoch (inference mode, the
 * un-augmented examples), for the `dynamics.json` artifact of a finetune job.
 */
export class DynamicsRecorder {
  readonly samples: SampleRecords[];

  /** `x`: the examples (the recorder does not own it); `ids`: their data set indices. */
  constructor(
    private readonly x: tf.Tensor,
    private readonly labels: readonly number[],
    ids: readonly string[],
  ) {
    if (ids.length !== labels.length || x.shape[0] !== labels.length) {
      throw new Error(`x, labels and ids must have one entry per example (${labels.length})`);
    }
    this.samples = ids.map((id) => ({ id, epochs: [] }));
  }

  record(model: tf.LayersModel, epoch: number): void {
    const probs = predictBatches(model, this.x);
    let rows: number[][];
    try {
      rows = probs.arraySync() as number[][];
    } finally {
      probs.dispose();
    }
    dynamicsRecords(rows, this.labels, epoch).forEach((r, i) => this.samples[i].epochs.push(r));
  }
}
