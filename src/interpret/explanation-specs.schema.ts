import { Type, type Static, type TInteger, type TNumber } from '@sinclair/typebox';
import { ValidationError } from '../platform/errors/domain-error';
import { StringEnum, TaggedUnion } from '../platform/validation/schema-builders';
import { specSchema } from '../platform/validation/spec-schema';
import { FEATURE_SELECTIONS } from './core/lime-base';
import {
  DEFAULT_LIME_PARAMETERS,
  LIME_PARAMETER_RANGES,
  type LimeParameters,
} from './core/lime-parameters';

/*
 * The one schema of each explanation job (ARCHITECTURE.md, "one schema per job kind"): `explain`
 * (LIME per instance) and `normlime` (class-level importance). It drives the OpenAPI body of
 * POST /v1/explanations, validation at enqueue with field paths, and the defaults: the stored
 * spec is the normalised one and the worker only parses it. What a schema cannot say (instances
 * or sampleSize, one label per instance) is the refinement's.
 */

export const MAX_EXPLAIN_INSTANCES = 1000;
export const MAX_NORMLIME_INSTANCES = 5000;

/** A registered model or data set: its id or its name, unique in the project. */
const Reference = (what: 'model' | 'data set', description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '\\S',
    description: `${description}: the ${what}'s id or its name (unique in the project)`,
    example: what === 'model' ? 'iris-mlp' : 'iris',
  });

type RangedParameter = keyof typeof LIME_PARAMETER_RANGES;

/** A numeric LIME parameter: its range (core/lime-parameters.ts) and default, if any. */
function ranged(key: RangedParameter): TInteger | TNumber {
  const { min, max, integer } = LIME_PARAMETER_RANGES[key];
  const def = (DEFAULT_LIME_PARAMETERS as Partial<Record<RangedParameter, number>>)[key];
  const options = { minimum: min, maximum: max, ...(def === undefined ? {} : { default: def }) };
  return integer ? Type.Integer(options) : Type.Number(options);
}

/** An RGB triple in [0, 1] (a fixed-length array: TypeBox's Tuple writes draft-07 `items`). */
const Rgb = Type.Unsafe<[number, number, number]>(
  Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { minItems: 3, maxItems: 3 }),
);

const limeParameterFields = {
  numSamples: ranged('numSamples'),
  numFeatures: ranged('numFeatures'),
  featureSelection: StringEnum(FEATURE_SELECTIONS, {
    default: DEFAULT_LIME_PARAMETERS.featureSelection,
  }),
  kernelWidth: Type.Optional(ranged('kernelWidth')),
  discretize: Type.Boolean({
    default: DEFAULT_LIME_PARAMETERS.discretize,
    description: 'Tabular: quartile-discretise continuous features',
  }),
  nSegments: ranged('nSegments'),
  compactness: ranged('compactness'),
  baseline: Type.Union([Type.Literal('mean'), Rgb], {
    default: DEFAULT_LIME_PARAMETERS.baseline,
    description: "Image: 'mean' or an RGB triple in [0, 1] replacing hidden superpixels",
  }),
  faithfulnessSteps: Type.Optional(ranged('faithfulnessSteps')),
  randomRepeats: ranged('randomRepeats'),
  seed: ranged('seed'),
};

const PARAMETERS_DESCRIPTION =
  'LIME parameters: numSamples, numFeatures, featureSelection, kernelWidth, discretize, ' +
  'nSegments, compactness, baseline, faithfulnessSteps, randomRepeats, seed (docs/interpret.md)';

const LimeParametersSchema = Type.Object(limeParameterFields, {
  additionalProperties: false,
  default: {},
  description: PARAMETERS_DESCRIPTION,
});

const NumClusters = Type.Integer({
  minimum: 2,
  maximum: 200,
  description: 'Image models: shared superpixel concepts (k-means clusters), default 10',
});

/** normlime takes numClusters among its parameters in requests (and at the top when stored). */
const NormLimeParametersSchema = Type.Object(
  { ...limeParameterFields, numClusters: Type.Optional(NumClusters) },
  {
    additionalProperties: false,
    default: {},
    description: `${PARAMETERS_DESCRIPTION}, numClusters`,
  },
);

const explainFields = {
  model: Reference('model', 'A registered model of this project'),
  dataset: Type.Optional(
    Reference(
      'data set',
      "Data set to sample instances from and (tabular) take LIME's feature statistics from; " +
        'default the data set the model was trained on',
    ),
  ),
  instances: Type.Optional(
    Type.Array(Type.Unknown(), {
      minItems: 1,
      maxItems: MAX_EXPLAIN_INSTANCES,
      description:
        'Inputs to explain: arrays of numbers (tabular), strings (text) or `{width, height, data}` ' +
        'images (data: RGB or grey values in [0, 1], row-major). Omit to draw `sampleSize` ' +
        'instances from the data set.',
      example: [[5.1, 3.5, 1.4, 0.2]],
    }),
  ),
  sampleSize: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_EXPLAIN_INSTANCES,
      description: 'Instances drawn (seeded) from the data set when `instances` is omitted',
    }),
  ),
  labels: Type.Optional(
    Type.Array(Type.Integer({ minimum: 0 }), {
      description: 'Class to explain per instance (default: the predicted class)',
    }),
  ),
  parameters: LimeParametersSchema,
};

const normLimeFields = {
  model: explainFields.model,
  dataset: explainFields.dataset,
  instances: Type.Optional(
    Type.Array(Type.Unknown(), {
      minItems: 1,
      maxItems: MAX_NORMLIME_INSTANCES,
      description: 'Inputs to explain, else `sampleSize` instances drawn from the data set',
    }),
  ),
  sampleSize: Type.Integer({
    minimum: 1,
    maximum: MAX_NORMLIME_INSTANCES,
    default: 100,
    description: 'Instances drawn (seeded) from the data set when `instances` is omitted',
  }),
  numClusters: Type.Optional(NumClusters),
  parameters: NormLimeParametersSchema,
};

const ExplainSpecSchema = Type.Object(explainFields, { additionalProperties: false });
const NormLimeSpecSchema = Type.Object(normLimeFields, { additionalProperties: false });

export interface ExplainSpec extends Omit<Static<typeof ExplainSpecSchema>, 'parameters'> {
  parameters: LimeParameters;
}

export interface NormLimeSpec extends Omit<
  Static<typeof NormLimeSpecSchema>,
  'parameters' | 'numClusters'
> {
  /** Image models: number of shared superpixel concepts (k-means clusters). */
  numClusters: number;
  parameters: LimeParameters;
}

/** Instances or else sampleSize drawn from the data set; labels one per given instance. */
function refineExplain(spec: Static<typeof ExplainSpecSchema>, path: string): ExplainSpec {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  const problems = [];
  if (spec.instances !== undefined && spec.sampleSize !== undefined)
    problems.push({ field: at('sampleSize'), message: 'give instances or sampleSize, not both' });
  if (spec.instances === undefined && spec.sampleSize === undefined)
    problems.push({
      field: at('instances'),
      message: 'required unless sampleSize instances are drawn from the data set',
    });
  if (spec.labels !== undefined && spec.labels.length !== spec.instances?.length)
    problems.push({
      field: at('labels'),
      message: 'must be one non-negative class index per given instance',
    });
  if (problems.length)
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  return spec as ExplainSpec;
}

/** numClusters moves from the request's parameters to the top of the stored spec. */
function refineNormLime(spec: Static<typeof NormLimeSpecSchema>): NormLimeSpec {
  const { numClusters: inParameters, ...parameters } = spec.parameters;
  return {
    ...spec,
    numClusters: inParameters ?? spec.numClusters ?? 10,
    parameters: parameters as LimeParameters,
  };
}

/** Job kind `explain` (fields named as in the request; /v1/jobs adds `spec.`). */
export const explainSpec = specSchema(ExplainSpecSchema, refineExplain);
/** Job kind `normlime` (default 100 sampled instances, 10 image concepts). */
export const normLimeSpec = specSchema(NormLimeSpecSchema, refineNormLime);

export const EXPLANATION_METHODS = ['lime', 'normlime'] as const;
export type ExplanationMethod = (typeof EXPLANATION_METHODS)[number];

/** The job kind behind each API method. */
export const KIND_OF_METHOD = { lime: 'explain', normlime: 'normlime' } as const;

/**
 * The body of POST /v1/explanations: a job spec of the method's kind, tagged by `method`
 * (`lime`: one local explanation per instance; `normlime`: class-level importance).
 */
const CreateExplanationSchema = TaggedUnion(
  'method',
  [
    Type.Object(
      { method: Type.Literal('lime'), ...explainFields },
      { additionalProperties: false },
    ),
    Type.Object(
      { method: Type.Literal('normlime'), ...normLimeFields },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      '`method` lime: LIME per instance (`explain` job); normlime: NormLIME class-level ' +
      'importance (`normlime` job, numClusters among the parameters)',
    example: { model: 'iris-mlp', method: 'lime', instances: [[5.1, 3.5, 1.4, 0.2]] },
  },
);

export type CreateExplanation =
  { method: 'lime'; spec: ExplainSpec } | { method: 'normlime'; spec: NormLimeSpec };

export const createExplanationBody = specSchema(
  CreateExplanationSchema,
  ({ method, ...spec }, path): CreateExplanation =>
    method === 'lime'
      ? { method, spec: refineExplain(spec as Static<typeof ExplainSpecSchema>, path) }
      : { method, spec: refineNormLime(spec as Static<typeof NormLimeSpecSchema>) },
);
