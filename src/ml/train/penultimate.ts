import * as tf from '@tensorflow/tfjs';
import { HEAD_LAYER_NAME } from '../zoo/zoo';

/**
 * A model split at its head (the zoo's `head` layer, else the last layer): `body` maps the input
 * to the head's input, the penultimate features, and shares the model's layers and weights, so
 * a loss on `head.apply(body.apply(x))` trains the model itself in one forward pass.
 */
export function splitAtHead(model: tf.LayersModel): {
  body: tf.LayersModel;
  head: tf.layers.Layer;
} {
  const head =
    model.layers.find((l) => l.name === HEAD_LAYER_NAME) ?? model.layers[model.layers.length - 1];
  return {
    body: tf.model({ inputs: model.inputs, outputs: head.input as tf.SymbolicTensor }),
    head,
  };
}
