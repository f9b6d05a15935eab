import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../../platform/errors/domain-error';

/**
 * Which layers train: everything, only the head (the last layer with weights), or the layers from
 * index K on (layers before K frozen), K counted over model.layers as listed by model.summary().
 */
export type FreezeSpec =
  { kind: 'none' } | { kind: 'all-but-head' } | { kind: 'from-layer'; index: number };

/** Sets layer.trainable and returns the names of the frozen layers. */
export function applyFreeze(model: tf.LayersModel, spec: FreezeSpec): string[] {
  const layers = model.layers;
  let firstTrainable: number;
  switch (spec.kind) {
    case 'none':
      firstTrainable = 0;
      break;
    case 'all-but-head': {
      firstTrainable = -1;
      for (let i = layers.length - 1; i >= 0; i--) {
        if (layers[i].weights.length > 0) {
          firstTrainable = i;
          break;
        }
      }
      if (firstTrainable < 0)
        throw ValidationError.field('freeze', 'the model has no layer with weights');
      break;
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
        `unknown freeze ${(spec as { kind: string }).kind}; known: none, all-but-head, from-layer`,
      );
  }
  const frozen: string[] = [];
  layers.forEach((layer, i) => {
    layer.trainable = i >= firstTrainable;
    if (!layer.trainable) frozen.push(layer.name);
  });
  return frozen;
}
