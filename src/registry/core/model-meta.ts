import * as tf from '@tensorflow/tfjs';
import { modelCost } from '../../ml/flops';
import { UnprocessableError } from '../../platform/errors/domain-error';

/** One row of a model's architecture summary (as Keras' model.summary() prints it). */
export interface LayerSummary {
  name: string;
  className: string;
  outputShape: (number | null)[];
  params: number;
  flops: number;
}

/** What the registry must do to raw inputs before the network sees them. */
export interface Preprocessing {
  /** Tabular: per-feature z-score computed on the training split. */
  normalise?: { mean: number[]; std: number[] };
  /** Text: token ids padded/truncated to this length (the model's input length). */
  sequenceLength?: number;
}

export interface ArchitectureFacts {
  summary: LayerSummary[];
  params: number;
  flops: number;
  /** Input shape without the batch axis. */
  inputShape: number[];
  numClasses: number;
}

/** Parameters, FLOPs (src/ml/flops.ts convention) and the input/output contract of a model. */
export function describeModel(model: tf.LayersModel): ArchitectureFacts {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UnprocessableError(
      `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; the registry serves single-input, single-output classifiers`,
      [{ field: 'model.json', message: 'needs exactly one input and one output' }],
    );
  }
  const inputShape = model.inputs[0].shape.slice(1);
  const outputShape = model.outputs[0].shape;
  if (inputShape.some((d) => d === null || d < 1)) {
    throw new UnprocessableError(`the model input shape [${inputShape}] is not fully defined`, [
      { field: 'model.json', message: `input shape [${inputShape}] has unknown dimensions` },
    ]);
  }
  const numClasses = outputShape[outputShape.length - 1];
  if (outputShape.length !== 2 || numClasses === null || numClasses < 2) {
    throw new UnprocessableError(
      `the model output shape [${outputShape}] is not [batch, classes] with >= 2 classes`,
      [{ field: 'model.json', message: `output shape [${outputShape}] is not a classifier's` }],
    );
  }
  const cost = modelCost(model);
  return {
    summary: cost.layers.map((l) => ({
      name: l.name,
      className: l.className,
      outputShape: l.outputShape,
      params: l.params,
      flops: l.flops,
    })),
    params: cost.params,
    flops: cost.flops,
    inputShape: inputShape as number[],
    numClasses,
  };
}
