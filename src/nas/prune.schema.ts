/**
 * The one schema of job kind `prune`: the body of `POST /v1/prune` (the spec itself), the spec
 * `POST /v1/jobs` takes, validation at enqueue and the normalised, defaulted spec stored.
 */
import { Type } from '@sinclair/typebox';
import { specSchema, type SpecSchema } from '../platform/validation/spec-schema';
import { resourcesProperty } from '../platform/validation/job-resources';
import { StringEnum } from '../platform/validation/schema-builders';
import { ReferenceSchema } from '../registry/reference.schema';
import { COST_METRICS } from './core/latency-cost';
import { PRUNE_DEFAULTS as D } from './core/pruning/prune-search';
import { PRUNE_JOB_DEFAULTS, type PruneJobSpec } from './core/pruning/prune-spec';

const Fraction = (def: number, description: string) =>
  Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: def, description });

export const PruneSpecSchema = Type.Object(
  {
    model: ReferenceSchema('model', 'A registered model (a chain CNN or MLP)'),
    dataset: Type.Optional(
      ReferenceSchema(
        'data set',
        'Data set to fine-tune and measure on (default: the model’s own)',
      ),
    ),
    budgets: Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 1 }), {
      minItems: 1,
      maxItems: 32,
      default: PRUNE_JOB_DEFAULTS.budgets,
      description: 'Fractions of the original cost, one model each',
    }),
    metric: StringEnum(COST_METRICS, { default: D.metric }),
    stepFraction: Fraction(D.stepFraction, 'Share of a layer’s filters per step'),
    stepFineTuneEpochs: Type.Integer({ minimum: 0, maximum: 100, default: D.stepFineTuneEpochs }),
    fineTuneEpochs: Type.Integer({ minimum: 0, maximum: 1000, default: D.fineTuneEpochs }),
    batchSize: Type.Integer({ minimum: 1, maximum: 65536, default: D.batchSize }),
    learningRate: Type.Number({
      exclusiveMinimum: 0,
      exclusiveMaximum: 10,
      default: D.learningRate,
    }),
    layers: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        minItems: 1,
        maxItems: 1000,
        description: 'Only these layers are pruned',
      }),
    ),
    validationFraction: Fraction(PRUNE_JOB_DEFAULTS.validationFraction, 'Share held out to rank'),
    seed: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, default: D.seed }),
    register: Type.Boolean({
      default: PRUNE_JOB_DEFAULTS.register,
      description: 'Register each pruned model',
    }),
    ...resourcesProperty,
  },
  { additionalProperties: false },
);

export const pruneSpec: SpecSchema<PruneJobSpec> = specSchema(PruneSpecSchema);
