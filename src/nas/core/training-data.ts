/**
 * Turns a data set into the tensors a NAS study trains on: a stratified train/validation split
 * (seeded), tabular features z-scored with statistics of the training split only, texts
 * tokenised with a vocabulary built on the training split and padded/truncated to
 * `sequenceLength`. Used by the NAS port implementation and the benchmarks.
 */
import * as tf from '@tensorflow/tfjs';
// Direct files, not the ml/data barrel: it also re-exports the file readers (node:fs).
import { Dataset } from '../../ml/data/dataset';
import { normalisationStats, normalise, stratifiedSplit } from '../../ml/data/transforms';
import { Vocabulary } from '../../ml/data/vocabulary';
import { TrainSet } from '../../ml/train/trainer';
import { ValidationError } from '../../platform/errors/domain-error';
import { InputKind } from './spaces/architecture-space';

export interface NasTrainingData {
  inputKind: InputKind;
  /** Input shape without the batch axis. */
  inputShape: number[];
  numClasses: number;
  classNames: string[];
  train: TrainSet;
  validation: TrainSet;
  /** Text: the vocabulary size (ids in [0, vocabSize)). */
  vocabSize?: number;
  /** Tabular: the z-score statistics a deployed model must apply. */
  normalise?: { mean: number[]; std: number[] };
  dispose(): void;
}

export interface SplitOptions {
  validationFraction?: number;
  seed?: number;
  /** Text: tokens per example (default 64). */
  sequenceLength?: number;
  /** Text: vocabulary cap (default 10000 words). */
  maxWords?: number;
  /**
   * Encode as an existing model expects (pruning a registered model): its vocabulary instead of
   * one built on the training split, its z-score statistics instead of the split's.
   */
  encoding?: ModelInputEncoding;
}

/** The input encoding a trained model was fitted with (LoadedModel in src/nas/nas-model.port.ts). */
export interface ModelInputEncoding {
  vocabulary?: Vocabulary;
  normalise?: { mean: number[]; std: number[] };
}

function tensors(ds: Dataset, vocab: Vocabulary | undefined, len: number): TrainSet {
  const inputs = ds.inputs;
  const y = tf.tensor1d([...ds.labels], 'int32');
  if (inputs.kind === 'image') {
    const { height, width, channels } = inputs.shape;
    const size = height * width * channels;
    const flat = new Float32Array(inputs.pixels.length * size);
    inputs.pixels.forEach((p, i) => flat.set(p, i * size));
    return { x: tf.tensor4d(flat, [inputs.pixels.length, height, width, channels]), y };
  }
  if (inputs.kind === 'tabular')
    return {
      x: tf.tensor2d(
        inputs.rows.map((r) => [...r]),
        [inputs.rows.length, inputs.featureNames.length],
      ),
      y,
    };
  const ids = new Int32Array(inputs.texts.length * len);
  inputs.texts.forEach((t, i) => ids.set((vocab as Vocabulary).encode(t, len), i * len));
  return { x: tf.tensor2d(ids, [inputs.texts.length, len], 'int32'), y };
}

export function toTrainingData(ds: Dataset, o: SplitOptions = {}): NasTrainingData {
  const fraction = o.validationFraction ?? 0.2;
  if (!(fraction > 0 && fraction < 1))
    throw ValidationError.field('validationFraction', `must be in (0, 1), got ${fraction}`);
  const split = stratifiedSplit(
    ds,
    { train: 1 - fraction, validation: fraction, test: 0 },
    o.seed ?? 0,
  );
  let train = split.train;
  let validation = split.validation;
  const kind = ds.inputs.kind;
  const out: Partial<NasTrainingData> = {};
  let vocab: Vocabulary | undefined;
  const len = o.sequenceLength ?? 64;
  if (kind === 'tabular') {
    const stats = o.encoding?.normalise ?? normalisationStats(train);
    train = normalise(train, stats);
    validation = normalise(validation, stats);
    out.normalise = stats;
  } else if (kind === 'text') {
    const texts = train.inputs.kind === 'text' ? train.inputs.texts : [];
    vocab = o.encoding?.vocabulary ?? Vocabulary.build(texts, { maxWords: o.maxWords ?? 10_000 });
    out.vocabSize = vocab.size;
  }
  const inputs = ds.inputs;
  const inputShape =
    inputs.kind === 'image'
      ? [inputs.shape.height, inputs.shape.width, inputs.shape.channels]
      : inputs.kind === 'tabular'
        ? [inputs.featureNames.length]
        : [len];
  const t = tensors(train, vocab, len);
  const v = tensors(validation, vocab, len);
  return {
    ...out,
    inputKind: kind,
    inputShape,
    numClasses: ds.classNames.length,
    classNames: [...ds.classNames],
    train: t,
    validation: v,
    dispose: () => tf.dispose([t.x, t.y, v.x, v.y]),
  };
}
