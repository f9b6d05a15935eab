import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from './evaluate';

/**
 * A penalty on hooked feature maps against a frozen source network's on the same rows, summed
 * over the rows (DELTA, Li et al. 2019): alpha * sum_layers attentiveDistance. Being a per-row
 * sum, the batch's penalty is the sum of its shards', so a sharded step computes it per shard on
 * whichever thread has the rows.
 */
export interface FeaturePenaltySpec {
  /** The frozen source network (same layer names as the trained one up to the head). */
  source: tf.LayersModel;
  hookLayers: readonly string[];
  /** Channel attention per hooked layer, one entry per channel (the layer output's last axis). */
  attention: readonly (readonly number[])[];
  alpha: number;
}

/**
 * 0.5 * sum over the batch of sum_c a_c ||FM_c^t - FM_c^s||^2 / (h*w) for one layer. The source map must be a
 * constant of the step (computed by the frozen, non-trainable source network), so no gradient
 * flows into it.
 */
export function attentiveDistance(
  target: tf.Tensor,
  source: tf.Tensor,
  attention: tf.Tensor1D,
  layerIndex = 0,
): tf.Scalar {
  if (target.shape.join() !== source.shape.join()) {
    throw new RangeError(
      `delta: layer ${layerIndex} target map [${target.shape}] and source map [${source.shape}] differ`,
    );
  }
  const rank = target.rank;
  if (rank !== 2 && rank !== 4) {
    throw new RangeError(
      `delta: layer ${layerIndex} map must be [n,c] or [n,h,w,c], got [${target.shape}]`,
    );
  }
  const channels = target.shape[rank - 1];
  if (channels !== attention.shape[0]) {
    throw new RangeError(
      `delta: layer ${layerIndex} has ${channels} channels, its attention ${attention.shape[0]}`,
    );
  }
  return tf.tidy(() => {
    const diff = tf.sub(target, source);
    const area = rank === 4 ? (target.shape[1] ?? 1) * (target.shape[2] ?? 1) : 1;
    // [n, c]: squared distance of each channel's map, per sample.
    const perChannel = rank === 4 ? tf.sum(tf.square(diff), [1, 2]) : tf.square(diff);
    const weighted = tf.sum(tf.mul(perChannel, attention), 1);
    return tf.div(tf.mul(0.5, tf.sum(weighted)), area) as tf.Scalar;
  });
}

/** A feature penalty bound to one thread's copies of the trained and the source networks. */
export class FeaturePenalty {
  private readonly features: tf.LayersModel;
  private readonly sourceFeatures: tf.LayersModel;
  private readonly attention: tf.Tensor1D[];

  constructor(
    target: tf.LayersModel,
    private readonly spec: FeaturePenaltySpec,
  ) {
    const hooks = spec.hookLayers;
    spec.source.trainable = false;
    this.features = tf.model({
      inputs: target.inputs,
      outputs: [
        target.outputs[0],
        ...hooks.map((h) => target.getLayer(h).output as tf.SymbolicTensor),
      ],
    });
    this.sourceFeatures = tf.model({
      inputs: spec.source.inputs,
      outputs: hooks.map((h) => spec.source.getLayer(h).output as tf.SymbolicTensor),
    });
    this.attention = spec.attention.map((a) => tf.keep(tf.tensor1d(a.slice())));
  }

  /**
   * The training-mode forward pass of the trained network (its output and hooked maps) and the
   * penalty against the source's maps on the same rows (in training mode too: see
   * TransferObjective.sourceFeatures). Call inside a gradient tape.
   */
  forward(x: tf.Tensor): { out: tf.Tensor; penalty: tf.Scalar } {
    const source = tf.tidy(() => {
      const s = this.sourceFeatures.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
      return Array.isArray(s) ? s : [s];
    });
    const [out, ...maps] = this.features.apply(x, { training: true }) as tf.Tensor[];
    let distance: tf.Scalar = tf.scalar(0);
    maps.forEach((m, j) => {
      distance = tf.add(distance, attentiveDistance(m, source[j], this.attention[j], j));
    });
    tf.dispose(source);
    return { out, penalty: tf.mul(this.spec.alpha, distance) };
  }

  dispose(): void {
    tf.dispose(this.attention);
  }
}

/** One shard's answer, flattened for shared memory (sharded-step.ts, replica-worker.ts). */
export interface ShardGradients {
  /** Gradients of the shard's loss, the trained variables concatenated in order. */
  grads: Float32Array;
  /** Mean cross-entropy over the shard. */
  loss: number;
  /** Correctly classified rows of the shard. */
  correct: number;
  /** The feature penalty summed over the shard's rows (0 without one). */
  featurePenalty: number;
}

/**
 * Gradients of one shard's loss, the same code on the main thread and on a replica (so that a
 * shard gives the same bits wherever it runs): the mean cross-entropy over the shard's rows,
 * plus, with a feature penalty, the penalty summed over them times batchRows / shardRows, so
 * that the shard-size-weighted sum over a batch's shards is cross-entropy mean + penalty sum.
 * Moves the batch-norm moving statistics as a forward pass in training mode does.
 */
export function shardGradients(
  model: tf.LayersModel,
  variables: readonly tf.Variable[],
  x: tf.Tensor,
  y: tf.Tensor,
  features?: { penalty: FeaturePenalty; batchRows: number },
): ShardGradients {
  let kept: tf.Scalar[] = [];
  let result: ShardGradients | undefined;
  try {
    // The answer is assigned, not returned: tf.tidy walks what it returns looking for tensors,
    // key by key through a Float32Array of every gradient.
    tf.tidy(() => {
      let correct = 0;
      const { value, grads } = tf.variableGrads(() => {
        const f = features ? features.penalty.forward(x) : undefined;
        const out = f ? f.out : (model.apply(x, { training: true }) as tf.Tensor);
        correct = tf
          .sum(tf.cast(tf.equal(tf.argMax(out, -1), tf.cast(y, 'int32')), 'float32'))
          .dataSync()[0];
        const task = crossEntropy(out, y);
        if (!f || !features) return task;
        kept = [tf.keep(task), tf.keep(f.penalty)];
        return tf.add(task, tf.mul(f.penalty, features.batchRows / x.shape[0])) as tf.Scalar;
      }, variables as tf.Variable[]);
      const flat = new Float32Array(variables.reduce((a, v) => a + v.size, 0));
      let at = 0;
      for (const v of variables) {
        flat.set(grads[v.name].dataSync(), at);
        at += v.size;
      }
      // The loss reported is the cross-entropy alone; the penalty goes apart.
      const [task, penalty] = kept;
      result = {
        grads: flat,
        loss: (task ?? value).dataSync()[0],
        correct,
        featurePenalty: penalty ? penalty.dataSync()[0] : 0,
      };
    });
  } finally {
    tf.dispose(kept);
  }
  return result as ShardGradients;
}
