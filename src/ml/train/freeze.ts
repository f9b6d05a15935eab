import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../../platform/errors/domain-error';

/**
 * Which layers train: everything, only the head (the last layer with weights), everything but the
 * head (`head`: the head is frozen, FedBABU's body-only update), or the layers from index K on
 * (layers before K frozen), K counted over model.layers as listed by model.summary().
 */
export type FreezeSpec =
  | { kind: 'none' }
  | { kind: 'all-but-head' }
  | { kind: 'head' }
  | { kind: 'from-layer'; index: number };

/** The index of the head: the last layer of the model with weights. */
function headIndex(layers: readonly tf.layers.Layer[]): number {
  for (let i = layers.length - 1; i >= 0; i--) if (layers[i].weights.length > 0) return i;
  throw ValidationError.field('freeze', 'the model has no layer with weights');
}

/** Sets layer.trainable and returns the names of the frozen layers. */
export function applyFreeze(model: tf.LayersModel, spec: FreezeSpec): string[] {
  const layers = model.layers;
  let firstTrainable: number;
  switch (spec.kind) {
    case 'none':
      firstTrainable = 0;
      break;
    case 'all-but-head':
      firstTrainable = headIndex(layers);
      break;
    case 'head': {
      const head = headIndex(layers);
      layers.forEach((layer, i) => (layer.trainable = i !== head));
      return [layers[head].name];
    }
    case 'from-layer':
      if (!Number.isInteger(spec.index) || spec.index < 0 || spec.index >= layers.length) {
        throw ValidationError.field(
          'freeze.index',
          `must be an integer in [0, ${layers.length - 1}], got ${spec.index}`,
        );
      }
      firstTrainable = spec.index;
      break;
    default:
      throw ValidationError.field(
        'freeze.kind',
        `unknown freeze ${(spec as { kind: string }).kind}; known: none, all-but-head, head, from-layer`,
      );
  }
  const frozen: string[] = [];
  layers.forEach((layer, i) => {
    layer.trainable = i >= firstTrainable;
    if (!layer.trainable) frozen.push(layer.name);
  });
  return frozen;
}
