import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../../platform/errors/domain-error';
import { buildMlp } from './tabular-mlp';
import { buildMobilenet } from './mobilenet-v1';
import { buildSmallCnn } from './small-cnn';
import { buildSmallResnet } from './small-resnet';
import { buildTextClassifier } from './text-classifier';
import { ZOO_MODEL_NAMES, type ZooModelName } from './zoo-names';
import { ZooOptions } from './zoo-options';

export { HEAD_LAYER_NAME } from './zoo-options';
export type { ZooOptions } from './zoo-options';
export { ZOO_MODEL_NAMES, type ZooModelName } from './zoo-names';

/** API name -> builder. Each builder validates its options and names the offending field. */
const ZOO: Record<ZooModelName, (o: ZooOptions) => tf.LayersModel> = {
  'small-cnn': buildSmallCnn,
  'small-resnet': buildSmallResnet,
  mobilenet: buildMobilenet,
  mlp: buildMlp,
  'text-classifier': buildTextClassifier,
};

export function isZooModelName(name: string): name is ZooModelName {
  return Object.prototype.hasOwnProperty.call(ZOO, name);
}

/** Builds a fresh zoo model; the same name, options and seed give the same weights. */
export function buildZooModel(name: string, options: ZooOptions): tf.LayersModel {
  if (!isZooModelName(name)) {
    throw ValidationError.field(
      'model',
      `unknown zoo model ${name}; known: ${ZOO_MODEL_NAMES.join(', ')}`,
    );
  }
  return ZOO[name](options);
}
