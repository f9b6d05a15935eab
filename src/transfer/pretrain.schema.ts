/**
 * The one schema of job kind `pretrain`: the body of `POST /v1/pretrain` (the spec itself), the
 * spec `POST /v1/jobs` takes, validation at enqueue and the normalised, defaulted spec stored.
 */
import { Type } from '@sinclair/typebox';
import { ZOO_MODEL_NAMES } from '../ml/zoo/zoo';
import { specSchema, type SpecSchema } from '../platform/validation/spec-schema';
import { resourcesProperty } from '../platform/validation/job-resources';
import { StringEnum } from '../platform/validation/schema-builders';
import { ReferenceSchema, RegistryNameSchema } from '../registry/reference.schema';
import { PRETRAIN_DEFAULTS as D, type PretrainSpec } from './core/training-specs';

/** A zoo builder option: null leaves the architecture's default (src/ml/zoo/zoo-options.ts). */
function zooOption(min: number, max: number, description: string) {
  return Type.Union([Type.Integer({ minimum: min, maximum: max }), Type.Null()], {
    default: null,
    description,
  });
}

export const PretrainSpecSchema = Type.Object(
  {
    dataset: ReferenceSchema('data set', 'The data set to train on'),
    architecture: StringEnum(ZOO_MODEL_NAMES, { example: 'small-cnn' }),
    name: Type.Union(
      [RegistryNameSchema('Registered model name (default <architecture>-<job id>)'), Type.Null()],
      { default: null },
    ),
    epochs: Type.Integer({ minimum: 1, maximum: 1000, default: D.epochs }),
    batchSize: Type.Integer({ minimum: 1, maximum: 4096, default: D.batchSize }),
    learningRate: Type.Number({ minimum: 1e-8, maximum: 10, default: D.learningRate }),
    optimizer: StringEnum(['sgd', 'momentum', 'adam'] as const, { default: D.optimizer }),
    seed: Type.Integer({ minimum: 0, maximum: 0xffffffff, default: D.seed }),
    earlyStoppingPatience: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: D.earlyStoppingPatience,
      description: 'Stop after this many epochs without a better val_loss (0: off)',
    }),
    width: zooOption(1, 1024, 'Zoo width (base channels)'),
    hidden: Type.Union(
      [
        Type.Array(Type.Integer({ minimum: 1, maximum: 4096 }), { minItems: 1, maxItems: 8 }),
        Type.Null(),
      ],
      { default: null, description: 'MLP hidden sizes' },
    ),
    embeddingDim: zooOption(1, 1024, 'Text: embedding size'),
    lstmUnits: zooOption(0, 1024, 'Text: LSTM units (0 = average pooling)'),
    maxWords: Type.Integer({
      minimum: 1,
      maximum: 200_000,
      default: D.maxWords,
      description: 'Text: vocabulary size cap',
    }),
    sequenceLength: Type.Integer({
      minimum: 1,
      maximum: 4096,
      default: D.sequenceLength,
      description: 'Text: padded sequence length',
    }),
    ...resourcesProperty,
  },
  { additionalProperties: false },
);

export const pretrainSpec: SpecSchema<PretrainSpec> = specSchema(PretrainSpecSchema);
