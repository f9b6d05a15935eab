/**
 * The one schema of job kind `finetune` (ARCHITECTURE.md, "one schema per job kind"): it
 * documents `POST /v1/finetune` and `POST /v1/jobs`, validates at enqueue and normalises what is
 * stored, defaults included; the worker parses the stored spec with it again and finds nothing
 * to change. `refine` adds what JSON Schema cannot say: the method grammar (core/method.ts),
 * alpha/beta defaults that depend on the chosen penalty, the augmentations' own option checks.
 */
import { Type, type Static, type TProperties } from '@sinclair/typebox';
import {
  createImageAugmentation,
  IMAGE_AUGMENTATIONS,
  type ImageAugmentationSpec,
} from '../ml/data';
import { ValidationError } from '../platform/errors/domain-error';
import { specSchema, type SpecSchema } from '../platform/validation/spec-schema';
import { resourcesProperty } from '../platform/validation/job-resources';
import { StringEnum } from '../platform/validation/schema-builders';
import { ReferenceSchema, RegistryNameSchema } from '../registry/reference.schema';
import { FinetuneConfig, PENALTY_DEFAULTS, TRANSFER_DEFAULTS as D } from './core/finetune-config';
import { METHOD_NAMES, parseMethod } from './core/method';
import type { FinetuneSpec } from './core/training-specs';

const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;

const Method = Type.String({
  minLength: 1,
  maxLength: 40,
  default: D.method,
  description: `${METHOD_NAMES.join(', ')}, any valid + combination, or auto`,
  example: 'delta',
});
const Epochs = Type.Integer({ minimum: 1, maximum: 10_000, default: D.epochs });

/** The hyper-parameters besides method and epochs (the body of POST /v1/finetune lifts those). */
const hyperParameters = {
  alpha: Type.Optional(
    Type.Number({
      minimum: 0,
      description: 'Strength of the transfer term (default: the penalty’s, docs/transfer.md)',
    }),
  ),
  beta: Type.Optional(
    Type.Number({
      minimum: 0,
      description: 'Weight decay of the new head (default: the penalty’s)',
    }),
  ),
  temperature: Type.Number({ exclusiveMinimum: 0, default: D.temperature }),
  hookLayers: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
    maxItems: 1000,
    default: [],
    description:
      'DELTA: hooked layers, Dense, Conv2D or BatchNormalization (default: the last layer of each stage of the backbone, the one before the head included)',
  }),
  attentionBatches: Type.Integer({ minimum: 1, default: D.attentionBatches }),
  headEpochs: Type.Integer({ minimum: 1, default: D.headEpochs }),
  rifle: Type.Object(
    {
      periods: Type.Integer({ minimum: 1, default: D.rifle.periods }),
      fraction: Type.Number({
        exclusiveMinimum: 0,
        exclusiveMaximum: 1,
        default: D.rifle.fraction,
        description:
          'RIFLE: share of training over which the head is re-initialised (authors: 3/4)',
      }),
      headLr: StringEnum(['global', 'cyclic'] as const, { default: D.rifle.headLr }),
    },
    { additionalProperties: false, default: {} },
  ),
  freeze: Type.Union(
    [StringEnum(['none', 'all-but-head'] as const), Type.Integer({ minimum: 0 })],
    {
      default: D.freeze,
      description: 'none, all-but-head, or K: the first K layers do not train',
    },
  ),
  batchSize: Type.Integer({ minimum: 1, maximum: 4096, default: D.batchSize }),
  learningRate: Type.Number({ exclusiveMinimum: 0, maximum: 10, default: D.learningRate }),
  optimizer: StringEnum(OPTIMIZERS, { default: D.optimizer }),
  lrSchedule: StringEnum(['constant', 'cosine', 'step'] as const, { default: D.lrSchedule }),
  lrStepEpochs: Type.Integer({ minimum: 1, default: D.lrStepEpochs }),
  lrGamma: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: D.lrGamma }),
  earlyStoppingPatience: Type.Integer({ minimum: 0, default: D.earlyStoppingPatience }),
  seed: Type.Integer({ minimum: 0, maximum: 0xffffffff, default: D.seed }),
} satisfies TProperties;

export const FinetuneConfigSchema = Type.Object(
  { method: Method, epochs: Epochs, ...hyperParameters },
  { additionalProperties: false, default: {}, description: 'Fine-tuning hyper-parameters' },
);

const Augmentation = Type.Object(
  { name: StringEnum(Object.keys(IMAGE_AUGMENTATIONS) as (keyof typeof IMAGE_AUGMENTATIONS)[]) },
  {
    additionalProperties: Type.Union([Type.Number(), Type.Boolean()]),
    description: 'An image augmentation and its options, e.g. {"name":"rotate","maxDegrees":10}',
  },
);

const augmentation = {
  augment: Type.Array(Augmentation, { maxItems: 10, default: [] }),
  augmentCopies: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 10,
      description: 'Training-set copies with augmentation (default 2 with augment, else 1)',
    }),
  ),
  recordDynamics: Type.Boolean({
    default: false,
    description: 'Store per-sample training dynamics as dynamics.json',
  }),
} satisfies TProperties;

const BaseModel = ReferenceSchema('model', 'The base (pretrained or imported) model');
const Dataset = ReferenceSchema('data set', 'The target data set');
const Name = RegistryNameSchema('Registered model name (default <base>-<method>-<job id>)');

export const FinetuneSpecSchema = Type.Object(
  {
    baseModel: BaseModel,
    dataset: Dataset,
    name: Type.Union([Name, Type.Null()], { default: null }),
    config: FinetuneConfigSchema,
    ...augmentation,
    ...resourcesProperty,
  },
  { additionalProperties: false },
);

/** `field` under `path` (the empty path of a request body names the field alone). */
const at = (path: string, field: string): string => (path ? `${path}.${field}` : field);

/** The config with what JSON Schema cannot resolve: the canonical method and its alpha/beta. */
function refineConfig(c: Static<typeof FinetuneConfigSchema>, path: string): FinetuneConfig {
  const plan = parseMethod(c.method, at(path, 'method'));
  const defaults = PENALTY_DEFAULTS[plan.penalty];
  return {
    ...c,
    method: plan.name,
    alpha: c.alpha ?? defaults.alpha,
    beta: c.beta ?? defaults.beta,
  };
}

/** Each augmentation's own option checks, and the copies they make (default 2 with any). */
function augmentCopiesOf(
  s: { augment: unknown[]; augmentCopies?: number },
  path: string,
): { augment: ImageAugmentationSpec[]; augmentCopies: number } {
  const augment = s.augment as ImageAugmentationSpec[];
  augment.forEach((a, i) => createImageAugmentation(a, `${at(path, 'augment')}[${i}]`));
  const augmentCopies = s.augmentCopies ?? (augment.length > 0 ? 2 : 1);
  if (augmentCopies > 1 && augment.length === 0)
    throw ValidationError.field(
      at(path, 'augmentCopies'),
      'needs augment (the augmentations to apply)',
    );
  return { augment, augmentCopies };
}

export const finetuneSpec: SpecSchema<FinetuneSpec> = specSchema(FinetuneSpecSchema, (s, path) => ({
  ...s,
  config: refineConfig(s.config, at(path, 'config')),
  ...augmentCopiesOf(s, path),
}));

/** A fine-tuning config from some of its fields (benchmarks, tests): defaults filled in. */
export const finetuneConfig: SpecSchema<FinetuneConfig> = specSchema(
  FinetuneConfigSchema,
  refineConfig,
);

/**
 * The body of `POST /v1/finetune` (EasyDL style): method and epochs at the top, the other
 * hyper-parameters under `hyperParameters`; `finetuneSpecOf` turns it into the job's spec.
 */
export const FinetuneRequestSchema = Type.Object(
  {
    baseModel: BaseModel,
    dataset: Dataset,
    name: Type.Optional(Name),
    method: Type.Optional(Method),
    epochs: Type.Optional(Epochs),
    hyperParameters: Type.Optional(
      Type.Object(hyperParameters, {
        additionalProperties: false,
        description: 'Other hyper-parameters (docs/transfer.md)',
        example: { alpha: 0.01, freeze: 'none', lrSchedule: 'cosine', earlyStoppingPatience: 3 },
      }),
    ),
    ...augmentation,
    ...resourcesProperty,
  },
  { additionalProperties: false },
);
export type FinetuneRequest = Static<typeof FinetuneRequestSchema>;
/** The same rules as the spec's, on the body's own fields (so problems name those). */
export const finetuneRequest = specSchema(FinetuneRequestSchema, (body, path) => {
  parseMethod(body.method ?? D.method, at(path, 'method'));
  augmentCopiesOf(body, path);
  return body;
});

/** The `finetune` job spec a request body stands for (validated and normalised at enqueue). */
export function finetuneSpecOf(body: FinetuneRequest): Record<string, unknown> {
  const { method, epochs, hyperParameters, ...spec } = body;
  return { ...spec, config: { ...hyperParameters, method, epochs } };
}
