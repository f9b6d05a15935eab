import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from '../ml/train/evaluate';
import { trainModel, TrainSet } from '../ml/train/trainer';
import { Rng } from '../platform/core/rng';
import { ValidationError } from '../platform/errors/domain-error';
import { attentionFromScores, LabelledBatch, scoreChannels } from './core/delta-attention';
import { FinetuneConfig } from './core/finetune-config';
import { reinitializeLayer } from './core/rifle';
import { defaultHookLayers, headLayerOf } from './model-surgery';

/** The first `count` mini-batches of a seeded permutation of `data` (DELTA's channel scoring). */
function scoringBatches(
  data: TrainSet,
  batchSize: number,
  count: number,
  rng: Rng,
): LabelledBatch[] {
  const n = data.x.shape[0];
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const batches: LabelledBatch[] = [];
  for (let b = 0; b < count && b * batchSize < n; b++) {
    const idx = order.slice(b * batchSize, Math.min(n, (b + 1) * batchSize));
    batches.push(
      tf.tidy(() => {
        const i = tf.tensor1d(idx, 'int32');
        return { xs: tf.gather(data.x, i), ys: tf.gather(data.y, i) };
      }),
    );
  }
  return batches;
}

/** The hooked layers of DELTA: as configured, else every Conv2D/Dense layer of the backbone. */
export function deltaHookLayers(target: tf.LayersModel, configured: string[]): string[] {
  const hookLayers = configured.length > 0 ? configured : defaultHookLayers(target);
  if (hookLayers.length === 0) {
    throw ValidationError.field(
      'hookLayers',
      'the base model has no Conv2D or Dense layer to hook',
    );
  }
  for (const h of hookLayers) {
    if (!target.layers.some((l) => l.name === h)) {
      throw ValidationError.field('hookLayers', `no layer named ${h} in the base model`);
    }
  }
  return hookLayers;
}

/**
 * DELTA's head phase (Li et al. 2019, the authors' train.py): train the new head on the frozen
 * backbone for `headEpochs`, score the hooked channels by how much the loss grows without them,
 * turn the scores into attention, then draw a fresh head. `rng` gives two forks, drawn up front
 * in this order whether or not the phase runs, so that a resumed run (which takes its attention
 * from the checkpoint) leaves `rng` where a fresh run does.
 */
export async function deltaAttention(o: {
  target: tf.LayersModel;
  train: TrainSet;
  config: FinetuneConfig;
  hookLayers: string[];
  rng: Rng;
  common: {
    batchSize: number;
    learningRate: number;
    optimizer: { name: FinetuneConfig['optimizer'] };
    seed: number;
    shouldStop?: () => boolean;
  };
  /** The attention a checkpoint holds: the phase is skipped. */
  resumed?: number[][];
}): Promise<number[][]> {
  const { target, train, config: c, hookLayers } = o;
  const scoringRng = o.rng.fork('delta-scoring');
  const headRng = o.rng.fork('delta-head');
  if (o.resumed !== undefined) {
    if (o.resumed.length !== hookLayers.length) {
      throw ValidationError.field(
        'resume.attention',
        `must hold one attention vector per hooked layer (${hookLayers.length})`,
      );
    }
    return o.resumed;
  }
  await trainModel(target, train, {
    ...o.common,
    epochs: c.headEpochs,
    freeze: { kind: 'all-but-head' },
  });
  const batches = scoringBatches(train, c.batchSize, c.attentionBatches, scoringRng);
  let attention: number[][];
  try {
    attention = attentionFromScores(
      scoreChannels(target, hookLayers, batches, crossEntropy),
      c.temperature,
    );
  } finally {
    for (const b of batches) tf.dispose([b.xs, b.ys]);
  }
  reinitializeLayer(headLayerOf(target), headRng);
  return attention;
}
