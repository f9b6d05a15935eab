import * as tf from '@tensorflow/tfjs';
import type { TrainingThreads } from '../ml/train/parallel';
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

/** The hooked layers of DELTA: as configured, else the last layer of each stage (`defaultHookLayers`). */
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
 * DELTA's head phase (Li et al. 2019, the authors' channel_eval.py): train a scoring head on the
 * frozen backbone for `headEpochs`, score the hooked channels by how much the loss grows without
 * them, and turn the scores into attention. The scoring head is drawn from its own stream
 * (`rng`, forked off the seed, not the fine-tuning stream), and afterwards every weight of
 * `target` is put back as it was (the fine-tuning head drawn from the seed, and the batch-norm
 * moving statistics the head phase updated), so DELTA starts fine-tuning from exactly the
 * weights `l2` starts from with the same seed: a paired comparison differs by the penalty only.
 */
export async function deltaAttention(o: {
  target: tf.LayersModel;
  train: TrainSet;
  config: FinetuneConfig;
  hookLayers: string[];
  /** DELTA's own stream (scoring head, scoring batches). */
  rng: Rng;
  common: {
    batchSize: number;
    learningRate: number;
    optimizer: { name: FinetuneConfig['optimizer'] };
    seed: number;
    shouldStop?: () => boolean;
    /** Data-parallel threads of the head training and the channel scoring. */
    threads?: TrainingThreads;
  };
  /** Attention computed before (a checkpoint's, or an earlier run's): the phase is skipped. */
  known?: number[][];
  /** Names the field `known` came from, for the error message. */
  knownField?: string;
}): Promise<number[][]> {
  const { target, train, config: c, hookLayers } = o;
  if (o.known !== undefined) {
    if (
      o.known.length !== hookLayers.length ||
      o.known.some((a, i) => a.length !== channelsOf(target, hookLayers[i]))
    ) {
      throw ValidationError.field(
        o.knownField ?? 'attention',
        `must hold one attention vector per hooked layer (${hookLayers.join(', ')}), one entry per channel`,
      );
    }
    return o.known;
  }
  const scoringRng = o.rng.fork('delta-scoring');
  const headRng = o.rng.fork('delta-scoring-head');
  // Per layer: LayersModel.getWeights lists trainable weights first, setWeights in layer order.
  const initial = target.layers.map((layer) => layer.getWeights().map((w) => w.clone()));
  try {
    reinitializeLayer(headLayerOf(target), headRng);
    await trainModel(target, train, {
      ...o.common,
      epochs: c.headEpochs,
      freeze: { kind: 'all-but-head' },
    });
    const batches = scoringBatches(train, c.batchSize, c.attentionBatches, scoringRng);
    try {
      return attentionFromScores(
        await scoreChannels(target, hookLayers, batches, 'cross-entropy', {
          ...(o.common.threads !== undefined ? { threads: o.common.threads } : {}),
        }),
        c.temperature,
      );
    } finally {
      for (const b of batches) tf.dispose([b.xs, b.ys]);
    }
  } finally {
    target.layers.forEach((layer, i) => layer.setWeights(initial[i]));
    tf.dispose(initial.flat());
  }
}

/** The output channels of a hooked Dense/Conv2D/BatchNormalization layer (its first weight's last axis). */
function channelsOf(model: tf.LayersModel, name: string): number {
  const kernel = model.getLayer(name).getWeights()[0];
  return kernel?.shape.at(-1) ?? 0;
}
