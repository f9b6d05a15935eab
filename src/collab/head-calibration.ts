/**
 * The model side of classifier calibration (core/classifier-calibration.ts) on TF.js: the
 * penultimate features of a weight set (the input of the head, the last dense layer), and the
 * head's kernel and bias inside a weight set. Calibrating replaces only those two arrays: every
 * other array of the weight set is passed through as the same object, so the frozen layers stay
 * bit-identical.
 */
import * as tf from '@tensorflow/tfjs';
import { HEAD_LAYER_NAME } from '../ml/zoo/zoo';
import type { LinearHead } from './core/classifier-calibration';
import type { WeightSet } from './core/weights';
import { writeWeights } from './site-training';

export class HeadFeatures {
  /** Positions of the head's kernel and bias in the model's weight order. */
  readonly kernelIndex: number;
  readonly biasIndex: number;
  readonly dim: number;
  readonly classes: number;
  private readonly extractor: tf.LayersModel;

  /** `model` is a working copy of the federation's architecture (its weights are overwritten). */
  constructor(private readonly model: tf.LayersModel) {
    const head =
      model.layers.find((l) => l.name === HEAD_LAYER_NAME) ?? model.layers[model.layers.length - 1];
    const [kernel, bias] = head.weights;
    if (!kernel || !bias || kernel.shape.length !== 2)
      throw new Error(`layer ${head.name} is not a dense layer with a bias`);
    this.kernelIndex = model.weights.findIndex((w) => w.name === kernel.name);
    this.biasIndex = model.weights.findIndex((w) => w.name === bias.name);
    if (this.kernelIndex < 0 || this.biasIndex < 0) throw new Error('head weights not found');
    this.dim = kernel.shape[0] as number;
    this.classes = kernel.shape[1] as number;
    this.extractor = tf.model({
      inputs: model.inputs,
      outputs: head.input as tf.SymbolicTensor,
    });
  }

  /** Penultimate features [n, dim] of `x` under `weights`, in batches. */
  features(weights: WeightSet, x: tf.Tensor, batchSize = 256): Float32Array {
    writeWeights(this.model, weights);
    const n = x.shape[0];
    const out = new Float32Array(n * this.dim);
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const f = tf.tidy(() => this.extractor.predict(x.slice(start, size)) as tf.Tensor);
      out.set(f.dataSync(), start * this.dim);
      f.dispose();
    }
    return out;
  }

  head(weights: WeightSet): LinearHead {
    return {
      kernel: Float32Array.from(weights[this.kernelIndex]),
      bias: Float32Array.from(weights[this.biasIndex]),
    };
  }

  /** `weights` with the head replaced; every other array is the same object. */
  withHead(weights: WeightSet, head: LinearHead): Float32Array[] {
    if (head.kernel.length !== weights[this.kernelIndex].length)
      throw new RangeError('head kernel of the wrong size');
    if (head.bias.length !== weights[this.biasIndex].length)
      throw new RangeError('head bias of the wrong size');
    return weights.map((w, i) =>
      i === this.kernelIndex ? head.kernel : i === this.biasIndex ? head.bias : w,
    );
  }
}
