import * as tf from '@tensorflow/tfjs';

/** A model cut in two: the frozen backbone and a trainable head of the last K layers. */
export interface SplitModel {
  backbone: tf.LayersModel;
  head: tf.LayersModel;
  /** The head's input shape without the batch axis (the backbone's output). */
  featureShape: number[];
}

type LayerFactory = (cls: unknown, config: tf.serialization.ConfigDict) => tf.layers.Layer;

/**
 * Splits `model` before its last `headLayers` layers. The head must be a chain (each of its
 * layers takes the previous one's single output), which the registry's classifiers end with
 * (small-cnn's dense layers, MobileNet's pooling and dense head). The head is a fresh Sequential
 * with copies of those layers and their weights, so training it leaves `model` untouched; the
 * backbone shares `model`'s layers.
 */
export function splitModel(model: tf.LayersModel, headLayers: number): SplitModel {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (!Number.isInteger(headLayers) || headLayers < 1 || headLayers >= layers.length) {
    throw new RangeError(
      `headLayers must be an integer in [1, ${layers.length - 1}] for this model, got ${headLayers}`,
    );
  }
  const cut = layers.length - headLayers;
  const tail = layers.slice(cut);
  const features = singleInput(tail[0]);
  tail.forEach((layer, i) => {
    if (i > 0 && singleInput(layer) !== tail[i - 1].output) {
      throw new RangeError(
        `the last ${headLayers} layers are not a chain (${layer.name} does not take ` +
          `${tail[i - 1].name}'s output): choose fewer head layers`,
      );
    }
  });
  const featureShape = features.shape.slice(1) as number[];
  const backbone = tf.model({ inputs: model.inputs, outputs: features, name: 'edge_backbone' });
  const head = tf.sequential({ name: 'edge_head' });
  head.add(tf.layers.inputLayer({ inputShape: featureShape }));
  for (const layer of tail) {
    const copy = copyLayer(layer);
    head.add(copy);
    copy.setWeights(layer.getWeights());
  }
  return { backbone, head, featureShape };
}

function singleInput(layer: tf.layers.Layer): tf.SymbolicTensor {
  const input = layer.input;
  if (Array.isArray(input)) {
    throw new RangeError(`head layer ${layer.name} has ${input.length} inputs; it must have one`);
  }
  return input;
}

/** A new layer of the same class and configuration (its own, not yet built, weights). */
function copyLayer(layer: tf.layers.Layer): tf.layers.Layer {
  const className = layer.getClassName();
  const registered = tf.serialization.SerializationMap.getMap().classNameMap[className] as
    [unknown, LayerFactory] | undefined;
  if (!registered) throw new Error(`layer class ${className} is not registered with TF.js`);
  const config = { ...layer.getConfig() };
  delete config.batchInputShape;
  delete config.inputShape;
  return registered[1](registered[0], config);
}
