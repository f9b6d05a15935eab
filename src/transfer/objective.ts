import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from '../ml/train/evaluate';
import { GradientContext, GradientFn, TrainOptions, WeightPenaltyFn } from '../ml/train/trainer';
import { dtnhCombine, gradientInnerProduct } from './core/dtnh';
import { TransferPenalty } from './core/penalty';
import { splitTrainable, WeightSplit } from './model-surgery';

export interface ObjectiveOptions {
  /** Combine task and penalty gradients with DTNH instead of summing the losses. */
  dtnh: boolean;
  /** The frozen source network (DELTA): same layer names as the target up to the head. */
  source?: tf.LayersModel;
  /** Hooked layer names (DELTA). */
  hookLayers?: readonly string[];
}

/** Means over the steps since the last `takeMeans()`. */
export interface LossParts {
  taskLoss: number;
  penalty: number;
  /** DTNH: share of steps whose penalty gradient conflicted with the task gradient (else absent). */
  dtnhConflictRate?: number;
}

/**
 * The loss of one fine-tuning step as a `GradientFn` for src/ml/train's loop: cross-entropy on
 * the target batch plus a transfer penalty. With `dtnh` the task and penalty gradients are taken
 * separately and combined by `dtnhCombine` (for DELTA that costs a second forward pass of the
 * target network). Build it after freezing: the backbone/head split of the trainable weights is
 * fixed here.
 */
export class TransferObjective {
  private readonly split: WeightSplit;
  private readonly featureModel?: tf.LayersModel;
  private readonly sourceFeatureModel?: tf.LayersModel;
  private parts: tf.Scalar[][] = [];

  constructor(
    target: tf.LayersModel,
    private readonly penalty: TransferPenalty,
    private readonly options: ObjectiveOptions,
  ) {
    this.split = splitTrainable(target);
    if (penalty.needsFeatures) {
      const hooks = options.hookLayers ?? [];
      if (!options.source || hooks.length === 0) {
        throw new RangeError(
          `${penalty.name} needs the source model and at least one hooked layer`,
        );
      }
      const source = options.source;
      source.trainable = false;
      this.featureModel = tf.model({
        inputs: target.inputs,
        outputs: [
          target.outputs[0],
          ...hooks.map((h) => target.getLayer(h).output as tf.SymbolicTensor),
        ],
      });
      this.sourceFeatureModel = tf.model({
        inputs: source.inputs,
        outputs: hooks.map((h) => source.getLayer(h).output as tf.SymbolicTensor),
      });
    }
  }

  /** The pretrained (backbone) trainable variables, in model order. */
  get backbone(): readonly tf.Variable[] {
    return this.split.backbone;
  }

  /**
   * What the trainer is given (TrainOptions): l2/l2sp (with or without DTNH) as a weight
   * `penalty`, applied once per step to the batch's cross-entropy gradient, which the trainer may
   * then compute in shards on worker threads. DELTA without DTNH as a `featurePenalty` (its
   * per-row feature-map term, computed per shard, on the replicas too) plus a weight `penalty`
   * (the head decay), with `gradientFn` for an unsharded run. dtnh+delta likewise, the shards
   * returning the task's and the feature penalty's gradients apart (DTNH combines the two).
   */
  trainerOptions(): Pick<TrainOptions, 'penalty' | 'featurePenalty' | 'gradientFn'> {
    const split = this.penalty.split;
    if (!this.penalty.needsFeatures) return { penalty: this.weightOnly };
    if (!split || !this.options.source) return { gradientFn: this.gradientFn };
    const dtnh = this.options.dtnh;
    return {
      gradientFn: this.gradientFn,
      penalty: dtnh ? this.dtnhFeatureSharded : this.featureSharded,
      featurePenalty: {
        source: this.options.source,
        hookLayers: this.options.hookLayers ?? [],
        attention: split.attention,
        alpha: split.alpha,
        ...(dtnh ? { separateGradients: true } : {}),
      },
    };
  }

  /**
   * dtnh+delta, sharded: the shards bring the batch's cross-entropy gradient (taskGrads) and the
   * feature penalty's (featureGrads) apart, each summed over the shards; the regulariser's
   * gradient g_r is the latter plus the head decay's, and DTNH combines g_t and g_r as the
   * unsharded gradientFn does.
   */
  private readonly dtnhFeatureSharded: WeightPenaltyFn = (ctx) => {
    const split = this.penalty.split;
    if (!split || !ctx.featurePenalty || !ctx.featureGrads)
      throw new Error('a sharded dtnh+delta step without its feature gradients');
    const anchor = ctx.variables[0];
    const decay = ctx.gradientsOf(() =>
      tf.add(
        split.weightTerm({ backbone: this.split.backbone, head: this.split.head }),
        tf.mul(0, tf.sum(anchor)),
      ),
    );
    const regGrads: tf.NamedTensorMap = {};
    for (const name of Object.keys(ctx.taskGrads)) {
      const f = ctx.featureGrads[name];
      const d = decay.grads[name];
      if (f && d) regGrads[name] = tf.add(f, d);
      else if (f ?? d) regGrads[name] = f ?? d;
    }
    const penalty = tf.add(ctx.featurePenalty, decay.value) as tf.Scalar;
    const task = ctx.taskGrads;
    const conflict = tf.cast(tf.less(gradientInnerProduct(task, regGrads), 0), 'float32');
    this.parts.push([tf.keep(ctx.taskLoss), tf.keep(penalty), tf.keep(conflict as tf.Scalar)]);
    return { loss: tf.add(ctx.taskLoss, penalty) as tf.Scalar, grads: dtnhCombine(task, regGrads) };
  };

  /** DELTA, sharded: the shards' feature penalty and its gradient come with the task's. */
  private readonly featureSharded: WeightPenaltyFn = (ctx) => {
    const split = this.penalty.split;
    if (!split || !ctx.featurePenalty) throw new Error('a sharded DELTA step without its features');
    const anchor = ctx.variables[0];
    const reg = ctx.gradientsOf(() =>
      tf.add(
        split.weightTerm({ backbone: this.split.backbone, head: this.split.head }),
        tf.mul(0, tf.sum(anchor)),
      ),
    );
    const penalty = tf.add(ctx.featurePenalty, reg.value) as tf.Scalar;
    this.parts.push([tf.keep(ctx.taskLoss), tf.keep(penalty)]);
    const grads: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(ctx.taskGrads)) {
      grads[name] = reg.grads[name] ? tf.add(g, reg.grads[name]) : g;
    }
    return { loss: tf.add(ctx.taskLoss, penalty) as tf.Scalar, grads };
  };

  private readonly weightOnly: WeightPenaltyFn = (ctx) => {
    // A zero-weighted touch of one trainable variable keeps variableGrads from failing when the
    // penalty does not reach any (e.g. l2sp with beta = 0 and a frozen backbone): its gradient is 0.
    const anchor = ctx.variables[0];
    const reg = ctx.gradientsOf(() =>
      tf.add(
        this.penalty.apply({ backbone: this.split.backbone, head: this.split.head }),
        tf.mul(0, tf.sum(anchor)),
      ),
    );
    const task = ctx.taskGrads;
    const loss = tf.add(ctx.taskLoss, reg.value) as tf.Scalar;
    if (!this.options.dtnh) {
      this.parts.push([tf.keep(ctx.taskLoss), tf.keep(reg.value)]);
      const grads: tf.NamedTensorMap = {};
      for (const name of Object.keys(task)) {
        grads[name] = reg.grads[name] ? tf.add(task[name], reg.grads[name]) : task[name];
      }
      return { loss, grads };
    }
    const conflict = tf.cast(tf.less(gradientInnerProduct(task, reg.grads), 0), 'float32');
    this.parts.push([tf.keep(ctx.taskLoss), tf.keep(reg.value), tf.keep(conflict as tf.Scalar)]);
    return { loss, grads: dtnhCombine(task, reg.grads) };
  };

  readonly gradientFn: GradientFn = (ctx) => {
    const source = this.sourceFeatures(ctx.x);
    const penaltyOf = (features: tf.Tensor[]): tf.Scalar =>
      this.penalty.apply({
        backbone: this.split.backbone,
        head: this.split.head,
        targetFeatures: features,
        sourceFeatures: source,
      });
    if (!this.options.dtnh) {
      let kept: tf.Scalar[] = [];
      const { value, grads } = ctx.gradientsOf(() => {
        const { probs, features } = this.forward(ctx, ctx.x);
        const task = crossEntropy(probs, ctx.y);
        const pen = penaltyOf(features);
        kept = [tf.keep(task), tf.keep(pen)];
        return tf.add(task, pen);
      });
      this.parts.push(kept);
      return { loss: value, grads };
    }
    const task = ctx.gradientsOf(() => crossEntropy(this.forward(ctx, ctx.x).probs, ctx.y));
    // A zero-weighted touch of one trainable variable keeps variableGrads from failing when the
    // penalty does not reach any (e.g. l2sp with beta = 0 and a frozen backbone): its gradient is 0.
    const anchor = ctx.variables[0];
    const reg = ctx.gradientsOf(() =>
      tf.add(
        penaltyOf(this.featureModel ? this.forward(ctx, ctx.x).features : []),
        tf.mul(0, tf.sum(anchor)),
      ),
    );
    const conflict = tf.cast(tf.less(gradientInnerProduct(task.grads, reg.grads), 0), 'float32');
    this.parts.push([tf.keep(task.value), tf.keep(reg.value), tf.keep(conflict as tf.Scalar)]);
    return { loss: tf.add(task.value, reg.value), grads: dtnhCombine(task.grads, reg.grads) };
  };

  /** Mean task loss and penalty over the steps since the last call. */
  takeMeans(): LossParts {
    const n = this.parts.length;
    const sums = [0, 0, 0];
    for (const part of this.parts) part.forEach((t, i) => (sums[i] += t.dataSync()[0]));
    tf.dispose(this.parts.flat());
    this.parts = [];
    const means: LossParts = { taskLoss: n ? sums[0] / n : NaN, penalty: n ? sums[1] / n : NaN };
    if (this.options.dtnh) means.dtnhConflictRate = n ? sums[2] / n : NaN;
    return means;
  }

  /** Releases the penalty's reference tensors and any unread loss parts. */
  dispose(): void {
    tf.dispose(this.parts.flat());
    this.parts = [];
    this.penalty.dispose();
  }

  /** Training-mode forward pass: probabilities and (for DELTA) the hooked feature maps. */
  private forward(ctx: GradientContext, x: tf.Tensor): { probs: tf.Tensor; features: tf.Tensor[] } {
    if (!this.featureModel) return { probs: ctx.forward(x), features: [] };
    const [probs, ...features] = this.featureModel.apply(x, { training: true }) as tf.Tensor[];
    return { probs, features };
  }

  /**
   * The frozen source network's hooked maps on the batch: constants of the step (computed outside
   * the gradient tape). In training mode, like the target's: with batch norm, both networks then
   * normalise with the statistics of the same batch, so the distance is exactly 0 while the
   * weights equal the source's. With the source in inference mode (moving statistics) the
   * penalty instead pulls the target's batch-normalised maps towards moving-statistics ones, and
   * the fine-tuned network fails at inference (measured: 33% instead of 68% test accuracy on a
   * small-resnet at alpha 0.001, issue 21). The source copy's own moving statistics drift as a
   * result; nothing reads them. The zoo models have no dropout, which training mode would add.
   */
  private sourceFeatures(x: tf.Tensor): tf.Tensor[] | undefined {
    if (!this.sourceFeatureModel) return undefined;
    const out = this.sourceFeatureModel.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
    return Array.isArray(out) ? out : [out];
  }
}
