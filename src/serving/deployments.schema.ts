/**
 * The REST bodies of deployments, one TypeBox schema each (docs/serving.md): unknown fields are
 * a 400 naming them, defaults are filled in by the validator, so the stored config is the
 * normalised one.
 */
import { Type, type Static } from '@sinclair/typebox';
import { specSchema } from '../platform/validation/spec-schema';
import { DEPLOYMENT_DEFAULTS, DEPLOYMENT_NAME_PATTERN } from './core/deployment-config';

const D = DEPLOYMENT_DEFAULTS;

const instances = (withDefault: boolean) =>
  Type.Integer({
    minimum: 1,
    maximum: 64,
    description:
      'Model instances (worker threads, or pods on Kubernetes), each one batch at a time',
    ...(withDefault ? { default: D.instances } : {}),
  });

const batchFields = (withDefault: boolean) => ({
  maxSize: Type.Integer({
    minimum: 1,
    maximum: 1024,
    description: 'Largest batch sent to an instance',
    ...(withDefault ? { default: D.batch.maxSize } : {}),
  }),
  maxDelayMs: Type.Number({
    minimum: 0,
    maximum: 60_000,
    description:
      'How long the oldest waiting request may wait for a fuller batch while an instance is idle',
    ...(withDefault ? { default: D.batch.maxDelayMs } : {}),
  }),
  preferredSizes: Type.Optional(
    Type.Array(Type.Integer({ minimum: 1, maximum: 1024 }), {
      maxItems: 16,
      description: 'Batch sizes sent as soon as they can be formed (Triton preferred_batch_size)',
    }),
  ),
});

const queueFields = (withDefault: boolean) => ({
  capacity: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    description: 'Requests that may wait; one more is shed with 429',
    ...(withDefault ? { default: D.queue.capacity } : {}),
  }),
  timeoutMs: Type.Number({
    exclusiveMinimum: 0,
    maximum: 600_000,
    description: 'A request that waited this long is dropped before inference (503)',
    ...(withDefault ? { default: D.queue.timeoutMs } : {}),
  }),
});

export const CreateDeploymentSchema = Type.Object(
  {
    model: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The registered model (id or name)',
    }),
    name: Type.Optional(
      Type.String({
        pattern: DEPLOYMENT_NAME_PATTERN,
        description:
          'Stable name (lower-case letters, digits, dashes; <= 40): POST /v1/serve/:name/predict. Default: the model name made fit, plus a suffix',
      }),
    ),
    instances: instances(true),
    batch: Type.Object(batchFields(true), { additionalProperties: false, default: {} }),
    queue: Type.Object(queueFields(true), { additionalProperties: false, default: {} }),
    cutoff: Type.Optional(
      Type.Object(
        {
          queueThreshold: Type.Integer({
            minimum: 0,
            description:
              'More than this many waiting requests at dispatch: the batch runs on `model`',
          }),
          model: Type.String({
            minLength: 1,
            maxLength: 200,
            description: 'A cheaper registered model with the same input (e.g. a pruned variant)',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CreateDeployment = Static<typeof CreateDeploymentSchema>;
export const createDeployment = specSchema(CreateDeploymentSchema);

export const UpdateDeploymentSchema = Type.Object(
  {
    instances: Type.Optional(instances(false)),
    batch: Type.Optional(
      Type.Partial(Type.Object(batchFields(false)), { additionalProperties: false }),
    ),
    queue: Type.Optional(
      Type.Partial(Type.Object(queueFields(false)), { additionalProperties: false }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateDeployment = Static<typeof UpdateDeploymentSchema>;
export const updateDeployment = specSchema(UpdateDeploymentSchema);

export const PredictSchema = Type.Object(
  {
    instance: Type.Unknown({
      description:
        'ONE sample of the model’s input kind: image: HWC pixel array in [0, 1] (flat or nested) or a base64 PNG/JPEG; tabular: the feature row (normalised as the model was trained); text: a string',
    }),
    deadlineMs: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 600_000,
        description: 'Drop the request (503) if it has not reached a model instance by then',
      }),
    ),
  },
  { additionalProperties: false },
);
export type PredictBody = Static<typeof PredictSchema>;
export const predictBody = specSchema(PredictSchema);
