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

/**
 * DELTA's default hooks, the outputs the authors regularise (the last layer of each ResNet stage,
 * Li et al. 2019 sec. 4): the backbone's Conv2D and Dense layers (the head excluded) grouped into
 * stages by their output's spatial size (a Dense layer is a stage of its own), and per stage the
 * deepest one (longest path from the input, so a ResNet's main branch wins over its 1x1
 * projection shortcut); a convolution followed by batch norm is hooked at the batch norm's
 * output (see docs/transfer.md: the pre-BN map has a scale the task loss cannot see). On
 * small-cnn: conv1, conv2 and fc1, the last layer before the head.
 */
export function defaultHookLayers(model: tf.LayersModel): string[] {
  const head = headLayerOf(model);
  const depth = new Map<tf.layers.Layer, number>();
  const depthOf = (layer: tf.layers.Layer): number => {
    const known = depth.get(layer);
    if (known !== undefined) return known;
    const inbound = layer.inboundNodes.flatMap((n) => n.inboundLayers);
    const d = inbound.length === 0 ? 0 : 1 + Math.max(...inbound.map(depthOf));
    depth.set(layer, d);
    return d;
  };
  const stages = new Map<string, tf.layers.Layer>();
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (layer === head || (kind !== 'Conv2D' && kind !== 'Dense')) continue;
    const shape = layer.outputShape as (number | null)[];
    const stage = kind === 'Dense' ? `dense:${layer.name}` : `conv:${shape[1]}x${shape[2]}`;
    const current = stages.get(stage);
    if (!current || depthOf(layer) > depthOf(current)) stages.set(stage, layer);
  }
  return [...stages.values()]
    .sort((a, b) => depthOf(a) - depthOf(b))
    .map((l) => batchNormAfter(model, l) ?? l)
    .map((l) => l.name);
}

/** The BatchNormalization layer that is the only consumer of `layer`'s output, if any. */
function batchNormAfter(
  model: tf.LayersModel,
  layer: tf.layers.Layer,
): tf.layers.Layer | undefined {
  const consumers = model.layers.filter((l) =>
    l.inboundNodes.some((n) => n.inboundLayers.includes(layer)),
  );
  return consumers.length === 1 && consumers[0].getClassName() === 'BatchNormalization'
    ? consumers[0]
    : undefined;
}
