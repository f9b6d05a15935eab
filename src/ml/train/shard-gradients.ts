import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from './evaluate';
import { distillationSum, mixupCrossEntropy, type ShardTensors } from './row-objectives';

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
  /**
   * DTNH over DELTA: the shards return this penalty's gradient apart from the cross-entropy's,
   * and the weight penalty combines them (PenaltyContext.featureGrads).
   */
  separateGradients?: boolean;
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

  /** The frozen source network's hooked maps on x (training mode): constants of the step. */
  sourceMaps(x: tf.Tensor): tf.Tensor[] {
    return tf.tidy(() => {
      const s = this.sourceFeatures.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
      return Array.isArray(s) ? s : [s];
    });
  }

  /**
   * The training-mode forward pass of the trained network (its output and hooked maps) and the
   * penalty against the source's maps on the same rows (in training mode too: see
   * TransferObjective.sourceFeatures), computed here unless given. Call inside a gradient tape.
   */
  forward(x: tf.Tensor, sourceMaps?: tf.Tensor[]): { out: tf.Tensor; penalty: tf.Scalar } {
    const source = sourceMaps ?? this.sourceMaps(x);
    const [out, ...maps] = this.features.apply(x, { training: true }) as tf.Tensor[];
    let distance: tf.Scalar = tf.scalar(0);
    maps.forEach((m, j) => {
      distance = tf.add(distance, attentiveDistance(m, source[j], this.attention[j], j));
    });
    if (!sourceMaps) tf.dispose(source);
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
  /**
   * With `separateFeatures` (DTNH over DELTA): the feature penalty's gradients apart, scaled as
   * the penalty in the loss; `grads` is then the cross-entropy's alone.
   */
  featureGrads?: Float32Array;
  /**
   * The shard's mean loss: the cross-entropy (mixup: its lambda mixture), plus with distillation
   * its term scaled to the shard (see shardGradients); never the feature penalty.
   */
  loss: number;
  /** Correctly classified rows of the shard (NaN for mixup: the rows are mixed, as unsharded). */
  correct: number;
  /** The feature penalty summed over the shard's rows (0 without one). */
  featurePenalty: number;
}

export interface ShardOptions {
  /** DELTA's feature penalty on this thread's copies of the networks. */
  features?: FeaturePenalty;
  /**
   * DTNH over DELTA: the gradients of the cross-entropy and of the feature penalty apart (two
   * training-mode passes, as the unsharded DTNH step takes them).
   */
  separateFeatures?: boolean;
  /** Online distillation (the shard carries its public rows and the teacher's soft labels). */
  distillation?: { temperature: number; weight: number };
}

/**
 * Gradients of one shard's loss, the same code on the main thread and on a replica (so that a
 * shard gives the same bits wherever it runs). Per-row sums over a batch are scaled by
 * batchRows / shardRows, so that the shard-size-weighted sum over a batch's shards gives the
 * batch's loss:
 * - cross-entropy: its mean over the shard (mixup: l CE(y) + (1 - l) CE(partner's y) of the mixed
 *   rows, as the unsharded mixupLossFn);
 * - a feature penalty (DELTA): summed over the shard's rows, x batchRows / shardRows;
 * - distillation: weight x T^2 KL summed over the shard's part of the public batch, divided by
 *   the public batch's rows, x batchRows / shardRows (the unsharded term is the public batch's
 *   mean).
 * Moves the batch-norm moving statistics as a forward pass in training mode does.
 */
export function shardGradients(
  model: tf.LayersModel,
  variables: readonly tf.Variable[],
  shard: ShardTensors,
  o: ShardOptions = {},
): ShardGradients {
  const { x, y } = shard;
  const scale = shard.batchRows / x.shape[0];
  const features = o.features;
  let kept: tf.Scalar[] = [];
  let result: ShardGradients | undefined;
  const flatten = (grads: tf.NamedTensorMap): Float32Array => {
    const flat = new Float32Array(variables.reduce((a, v) => a + v.size, 0));
    let at = 0;
    for (const v of variables) {
      // A variable the loss does not reach (the head, for a feature penalty) has no entry: 0.
      const g = grads[v.name] as tf.Tensor | undefined;
      if (g) flat.set(g.dataSync(), at);
      at += v.size;
    }
    return flat;
  };
  const countCorrect = (out: tf.Tensor): number =>
    tf.sum(tf.cast(tf.equal(tf.argMax(out, -1), tf.cast(y, 'int32')), 'float32')).dataSync()[0];
  try {
    // The answer is assigned, not returned: tf.tidy walks what it returns looking for tensors,
    // key by key through a Float32Array of every gradient.
    tf.tidy(() => {
      let correct = 0;
      if (features && o.separateFeatures) {
        // DTNH: the task and the penalty gradients apart, each from its own training-mode pass
        // (as TransferObjective.gradientFn), the source's maps computed once.
        const source = features.sourceMaps(x);
        const task = tf.variableGrads(() => {
          const { out } = features.forward(x, source);
          correct = countCorrect(out);
          return crossEntropy(out, y);
        }, variables as tf.Variable[]);
        // A zero-weighted touch of one trainable variable keeps variableGrads from failing when
        // the hooked maps reach no trainable weight (a frozen backbone): its gradient is 0.
        const anchor = variables[0];
        const pen = tf.variableGrads(
          () =>
            tf.add(
              tf.mul(features.forward(x, source).penalty, scale),
              tf.mul(0, tf.sum(anchor)),
            ) as tf.Scalar,
          variables as tf.Variable[],
        );
        result = {
          grads: flatten(task.grads),
          featureGrads: flatten(pen.grads),
          loss: task.value.dataSync()[0],
          correct,
          featurePenalty: pen.value.dataSync()[0] / scale,
        };
        return;
      }
      const { value, grads } = tf.variableGrads(() => {
        const f = features ? features.forward(x) : undefined;
        const out = f ? f.out : (model.apply(x, { training: true }) as tf.Tensor);
        if (shard.mix) {
          correct = Number.NaN;
          return mixupCrossEntropy(out, y, shard.mix.partnerY, shard.mix.lambda);
        }
        correct = countCorrect(out);
        let task = crossEntropy(out, y);
        const d = shard.distill;
        if (o.distillation && d) {
          const probs = model.apply(d.x, { training: true }) as tf.Tensor;
          const term = distillationSum(probs, d.teacher, o.distillation.temperature);
          task = tf.add(
            task,
            tf.mul(term, (o.distillation.weight * scale) / d.batchRows),
          ) as tf.Scalar;
        }
        if (!f) return task;
        kept = [tf.keep(task), tf.keep(f.penalty)];
        return tf.add(task, tf.mul(f.penalty, scale)) as tf.Scalar;
      }, variables as tf.Variable[]);
      // The loss reported is the task's alone; the feature penalty goes apart.
      const [task, penalty] = kept;
      result = {
        grads: flatten(grads),
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
