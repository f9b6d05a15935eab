import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../../platform/errors/domain-error';
import { Rng } from '../../platform/core/rng';

type Initializer = ReturnType<typeof tf.initializers.heNormal>;

/** Options shared by every zoo builder; each builder ignores the ones it has no use for. */
export interface ZooOptions {
  /** Input shape without the batch axis: [h, w, c] for images, [features] for tabular, [seqLen] for text. */
  inputShape: number[];
  numClasses: number;
  /** Seeds every weight initialiser, so the same seed builds the same weights. */
  seed?: number;
  /** Base channel count (images) or width multiplier basis; defaults per model. */
  width?: number;
  /** MLP hidden layer sizes (default [64, 32]). */
  hidden?: number[];
  /** Text: vocabulary size (token ids in [0, vocabSize)); default 10000. */
  vocabSize?: number;
  /** Text: embedding dimension, default 32. */
  embeddingDim?: number;
  /** Text: LSTM units after the embedding; 0 (default) = global average pooling only. */
  lstmUnits?: number;
}

function positiveInt(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) {
    throw ValidationError.field(field, `must be a positive integer, got ${v}`);
  }
}

export function validateZooOptions(name: string, o: ZooOptions, rank: number[]): void {
  if (!Array.isArray(o.inputShape) || !rank.includes(o.inputShape.length)) {
    throw ValidationError.field(
      'inputShape',
      `${name} needs an input shape of rank ${rank.join(' or ')} (batch axis excluded), got [${o.inputShape}]`,
    );
  }
  o.inputShape.forEach((d, i) => positiveInt(`inputShape[${i}]`, d));
  if (!Number.isInteger(o.numClasses) || o.numClasses < 2) {
    throw ValidationError.field('numClasses', `must be an integer >= 2, got ${o.numClasses}`);
  }
  if (o.width !== undefined) positiveInt('width', o.width);
  if (o.vocabSize !== undefined) positiveInt('vocabSize', o.vocabSize);
  if (o.embeddingDim !== undefined) positiveInt('embeddingDim', o.embeddingDim);
  if (o.lstmUnits !== undefined && (!Number.isInteger(o.lstmUnits) || o.lstmUnits < 0)) {
    throw ValidationError.field('lstmUnits', `must be an integer >= 0, got ${o.lstmUnits}`);
  }
  o.hidden?.forEach((h, i) => positiveInt(`hidden[${i}]`, h));
}

/** Hands out initialisers with seeds drawn from one seeded stream (deterministic builds). */
export class SeededInit {
  private readonly rng: Rng;

  constructor(seed = 0) {
    this.rng = new Rng(seed);
  }

  private next(): number {
    return this.rng.int(0, 2 ** 31 - 1);
  }

  /** He normal for ReLU layers (He et al. 2015). */
  he(): Initializer {
    return tf.initializers.heNormal({ seed: this.next() });
  }

  /** Orthogonal for recurrent kernels (Saxe et al. 2014), as Keras' LSTM default. */
  orthogonal(): Initializer {
    return tf.initializers.orthogonal({ seed: this.next() });
  }

  /** Glorot uniform for the softmax head and embeddings (Glorot & Bengio 2010). */
  glorot(): Initializer {
    return tf.initializers.glorotUniform({ seed: this.next() });
  }
}

/** The classifier head every zoo model ends with; its name marks it for "freeze all but head". */
export const HEAD_LAYER_NAME = 'head';

export function head(numClasses: number, init: SeededInit): tf.layers.Layer {
  return tf.layers.dense({
    units: numClasses,
    activation: 'softmax',
    kernelInitializer: init.glorot(),
    name: HEAD_LAYER_NAME,
  });
}

/**
 * Moving-average momentum of the zoo's batch-norm layers: PyTorch's default (its momentum 0.1 is
 * Keras' 0.9), not Keras' 0.99. With 0.99 the moving statistics keep 0.99^n of their initial
 * (0, 1) after n steps -- 28% after the 128 steps of 8 epochs of 500 examples in batches of 32 --
 * so a net that fits its training batches (batch statistics) scores at chance in inference mode
 * (moving statistics), the deeper layers worst as each one's statistics follow the earlier ones'.
 */
export const BN_MOMENTUM = 0.9;

export function batchNorm(name: string): tf.layers.Layer {
  return tf.layers.batchNormalization({ momentum: BN_MOMENTUM, name });
}
