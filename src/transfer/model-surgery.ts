import * as tf from '@tensorflow/tfjs';
import { loadModelFromBuffers, saveModelToBuffers } from '../ml/io/buffers';
import { HEAD_LAYER_NAME } from '../ml/zoo/zoo';
import { ValidationError } from '../platform/errors/domain-error';

/**
 * Model operations fine-tuning needs: an independent copy of a model (the frozen source next to
 * the network being trained), a new head for the target classes, and the split of the trainable
 * weights into backbone and head. Freezing is src/ml/train/freeze.ts.
 */

/** A deep copy with its own variables (same topology, names and weights), via the tf.io format. */
export async function cloneModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  const buffers = await saveModelToBuffers(model);
  return loadModelFromBuffers(buffers.modelJson, buffers.weights);
}

/** The classifier head: the layer named `head` (zoo convention), else the last layer. */
export function headLayerOf(model: tf.LayersModel): tf.layers.Layer {
  return (
    model.layers.find((l) => l.name === HEAD_LAYER_NAME) ?? model.layers[model.layers.length - 1]
  );
}

/**
 * Takes ownership of `model` (a private copy) and returns a model with the same layers up to the
 * head and a new Dense softmax head of `numClasses` units (Glorot-uniform, seeded, zero bias)
 * named `head`. The old head's weights are released.
 */
export function replaceHead(
  model: tf.LayersModel,
  numClasses: number,
  seed: number,
): tf.LayersModel {
  const old = headLayerOf(model);
  const features = old.input;
  if (Array.isArray(features)) {
    throw ValidationError.field(
      'baseModel',
      `head layer ${old.name} has several inputs; cannot replace it`,
    );
  }
  const head = tf.layers.dense({
    units: numClasses,
    activation: 'softmax',
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    name: HEAD_LAYER_NAME,
  });
  const output = head.apply(features) as tf.SymbolicTensor;
  const next = tf.model({ inputs: model.inputs, outputs: output, name: `${model.name}_target` });
  old.dispose();
  return next;
}

export interface WeightSplit {
  /** Trainable variables of the pretrained layers, in model order. */
  backbone: tf.Variable[];
  /** Trainable variables of the head. */
  head: tf.Variable[];
}

/** Trainable variables split into backbone and head (LayerVariable.read() is the live variable). */
export function splitTrainable(model: tf.LayersModel): WeightSplit {
  const headLayer = headLayerOf(model);
  const backbone: tf.Variable[] = [];
  const head: tf.Variable[] = [];
  for (const layer of model.layers) {
    for (const w of layer.trainableWeights)
      (layer === headLayer ? head : backbone).push(w.read() as tf.Variable);
  }
  return { backbone, head };
}

/** DELTA's default hooks: every Conv2D of the backbone; else every Dense before the head. */
export function defaultHookLayers(model: tf.LayersModel): string[] {
  const head = headLayerOf(model);
  const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D' && l !== head);
  if (convs.length > 0) return convs.map((l) => l.name);
  return model.layers.filter((l) => l.getClassName() === 'Dense' && l !== head).map((l) => l.name);
}
