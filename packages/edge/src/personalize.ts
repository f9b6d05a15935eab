import * as tf from '@tensorflow/tfjs';
import type { ImageAugmentation, ImageShape } from './augment';
import { evaluateHead, snapshot, trainStep } from './head-training';
import type { EdgeInput } from './inputs';
import { Rng } from './rng';

/** A labelled example of the user's own data (never sent anywhere). */
export interface Example {
  input: EdgeInput;
  /** A class name of the bundle's labels, or its index. */
  label: string | number;
}

export interface PersonalizeProgress {
  epoch: number;
  epochs: number;
  loss: number;
  /** Accuracy on the held-out slice (NaN when there is none). */
  validationAccuracy: number;
}

export interface PersonalizeOptions {
  /** Train the last K layers (default: the head the model was opened with). */
  layers?: number;
  /** Default 50. */
  epochs?: number;
  /** Default 8. */
  batchSize?: number;
  /** Adam's step size, default 0.001 (fine-tuning a pretrained head: larger steps forget it). */
  learningRate?: number;
  /** Fraction held out for early stopping, default 0.25 (none under 4 examples). */
  validationSplit?: number;
  /** Epochs without a better held-out score before stopping, default 10. */
  patience?: number;
  /** Image augmentations applied afresh each epoch (each then needs a backbone pass). */
  augment?: readonly ImageAugmentation[];
  /** Shuffling, the held-out slice and augmentation; default 0. */
  seed?: number;
  onProgress?: (progress: PersonalizeProgress) => void;
}

export interface PersonalizeResult {
  epochs: number;
  /** The epoch whose weights the head keeps (best held-out score; the last without a slice). */
  bestEpoch: number;
  validationAccuracy: number;
  history: PersonalizeProgress[];
}

/** What personalisation needs of the model: its backbone pass and the head to train. */
export interface PersonalizeTarget {
  head: tf.LayersModel;
  imageShape: ImageShape | null;
  /** Backbone activations of a batch (counted by the model as backbone passes). */
  features(inputs: readonly EdgeInput[]): tf.Tensor;
  labelIndex(label: string | number): number;
}

/**
 * Offline on-device transfer learning (AutLearn): only the head learns; without augmentation the
 * backbone runs once per example (its activations are reused every epoch), with augmentation
 * once per example and epoch. Early stopping on a seeded held-out slice restores the best
 * epoch's weights (Keras' EarlyStopping with restore_best_weights).
 */
export async function personalizeHead(
  target: PersonalizeTarget,
  examples: readonly Example[],
  options: PersonalizeOptions = {},
): Promise<PersonalizeResult> {
  const epochs = options.epochs ?? 50;
  const batchSize = options.batchSize ?? 8;
  const patience = options.patience ?? 10;
  const split = options.validationSplit ?? 0.25;
  if (!(split >= 0 && split < 1)) throw new RangeError(`validationSplit must be in [0, 1)`);
  if (examples.length === 0) throw new RangeError('personalize needs at least one example');
  if (options.augment?.length && !target.imageShape) {
    throw new RangeError('augmentation applies to image models only');
  }
  const rng = new Rng(options.seed ?? 0);
  const labels = examples.map((e) => target.labelIndex(e.label));
  const order = rng.shuffle(examples.map((_, i) => i));
  const held = examples.length >= 4 ? Math.round(examples.length * split) : 0;
  const valIdx = order.slice(0, held);
  const trainIdx = order.slice(held);
  const optimizer = tf.train.adam(options.learningRate ?? 0.001);
  const valFeatures = held > 0 ? target.features(valIdx.map((i) => examples[i].input)) : null;
  const valLabels = valIdx.map((i) => labels[i]);
  const plainFeatures = options.augment?.length
    ? null
    : target.features(trainIdx.map((i) => examples[i].input));
  const history: PersonalizeProgress[] = [];
  let best: { epoch: number; accuracy: number; loss: number; weights: tf.Tensor[] } | null = null;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const features = plainFeatures ?? augmentedFeatures(target, examples, trainIdx, options, rng);
      const perm = rng.shuffle(trainIdx.map((_, k) => k));
      // Batch losses stay on the device until the epoch ends: one read per epoch.
      const losses: tf.Scalar[] = [];
      for (let s = 0; s < perm.length; s += batchSize) {
        const rows = perm.slice(s, s + batchSize);
        const batch = tf.tidy(() => tf.gather(features, tf.tensor1d(rows, 'int32')));
        losses.push(
          trainStep(
            target.head,
            optimizer,
            batch,
            rows.map((k) => labels[trainIdx[k]]),
          ),
        );
        batch.dispose();
      }
      const lossMean = tf.tidy(() => tf.addN(losses).div(losses.length));
      const [epochLoss] = await lossMean.data();
      tf.dispose([...losses, lossMean]);
      if (features !== plainFeatures) features.dispose();
      const val = valFeatures
        ? evaluateHead(target.head, valFeatures, valLabels)
        : { accuracy: NaN, loss: NaN };
      const progress = { epoch, epochs, loss: epochLoss, validationAccuracy: val.accuracy };
      history.push(progress);
      options.onProgress?.(progress);
      // Yield between epochs so a page stays responsive and progress can render.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (!valFeatures) continue;
      const better =
        !best ||
        val.accuracy > best.accuracy ||
        (val.accuracy === best.accuracy && val.loss < best.loss);
      if (better) {
        best?.weights.forEach((w) => w.dispose());
        best = { epoch, accuracy: val.accuracy, loss: val.loss, weights: snapshot(target.head) };
      } else if (best && epoch - best.epoch >= patience) break;
    }
    if (best) target.head.setWeights(best.weights);
    return {
      epochs: history.length,
      bestEpoch: best?.epoch ?? history.length,
      validationAccuracy: best?.accuracy ?? NaN,
      history,
    };
  } finally {
    best?.weights.forEach((w) => w.dispose());
    valFeatures?.dispose();
    plainFeatures?.dispose();
    optimizer.dispose();
  }
}

function augmentedFeatures(
  target: PersonalizeTarget,
  examples: readonly Example[],
  trainIdx: readonly number[],
  options: PersonalizeOptions,
  rng: Rng,
): tf.Tensor {
  const shape = target.imageShape as ImageShape;
  const inputs = trainIdx.map((i) => {
    const input = examples[i].input;
    let img =
      input instanceof tf.Tensor ? (input.dataSync() as Float32Array) : Float32Array.from(input);
    for (const a of options.augment ?? []) img = a.apply(img, shape, rng);
    return img;
  });
  return target.features(inputs);
}
