/**
 * What a remote site may send the coordinator, and nothing more (the structural guarantee of
 * docs/collab.md): an update is a few numbers and ONE base64 float32 array whose decoded length
 * must equal the global weights' (checked against the work item's declared sizes); an evaluation
 * is three numbers and, optionally, a k x k matrix of counts (the confusion matrix, checked to be
 * square in the federation's classes and to add up to `count`). No field can hold an example, a
 * label or a file: unknown fields are a 400.
 */
import { Type, type Static } from '@sinclair/typebox';
import { specSchema } from '../platform/validation/spec-schema';

const metric = (description: string) =>
  Type.Union([Type.Number({ minimum: 0, maximum: 1e9 }), Type.Null()], {
    default: null,
    description,
  });

/** Standard base64 (RFC 4648 section 4), as Buffer.toString('base64') writes it. */
const BASE64 = '^[A-Za-z0-9+/]*={0,2}$';

export const SiteUpdateSchema = Type.Object(
  {
    samples: Type.Integer({
      minimum: 1,
      maximum: 1e9,
      description: 'Training examples behind the update (a count)',
    }),
    trainLoss: metric('Mean training loss of the last local epoch'),
    trainAccuracy: metric('Training accuracy of the last local epoch'),
    localAccuracy: metric('The site model on the site’s own test split'),
    weights: Type.String({
      pattern: BASE64,
      maxLength: 400_000_000,
      description:
        'The weights after local training: float32 little-endian, base64, exactly the declared sizes',
    }),
    controlDelta: Type.Optional(
      Type.String({
        pattern: BASE64,
        maxLength: 400_000_000,
        description:
          'SCAFFOLD federations only: the site’s control variate change c_i+ - c_i, float32 little-endian, base64, the declared sizes',
      }),
    ),
  },
  { additionalProperties: false },
);
export type SiteUpdate = Static<typeof SiteUpdateSchema>;
export const siteUpdate = specSchema(SiteUpdateSchema);

/**
 * A stats item's answer (classifierCalibration `ccvr`): per class the number of the site's
 * training examples, and for the classes it holds the mean and covariance (upper triangle) of
 * their penultimate features. The server checks `counts` against the federation's classes and
 * `moments` against the exact size those classes and the model's feature width give (else 422):
 * a bounded set of numbers with no room for an example.
 */
export const SiteStatsSchema = Type.Object(
  {
    counts: Type.Array(Type.Integer({ minimum: 0, maximum: 16_777_216 }), {
      maxItems: 1000,
      description: 'Training examples per class, in the federation’s class order',
    }),
    moments: Type.String({
      pattern: BASE64,
      maxLength: 100_000_000,
      description:
        'float32 little-endian, base64: for each class with a count > 0, its feature mean (d values) then its covariance’s upper triangle row by row (d (d + 1) / 2 values)',
    }),
  },
  { additionalProperties: false },
);
export type SiteStatsReport = Static<typeof SiteStatsSchema>;
export const siteStats = specSchema(SiteStatsSchema);

export const SiteEvaluationSchema = Type.Object(
  {
    accuracy: Type.Number({ minimum: 0, maximum: 1 }),
    loss: Type.Number({ minimum: 0, maximum: 1e9 }),
    count: Type.Integer({
      minimum: 0,
      maximum: 1e9,
      description: 'Test examples evaluated (a count)',
    }),
    confusion: Type.Optional(
      Type.Array(Type.Array(Type.Integer({ minimum: 0, maximum: 1e9 }), { maxItems: 1000 }), {
        maxItems: 1000,
        description:
          'Counts [true class][predicted class] on the site’s test split, in the federation’s class order; must add up to count',
      }),
    ),
  },
  { additionalProperties: false },
);
export type SiteEvaluationReport = Static<typeof SiteEvaluationSchema>;
export const siteEvaluation = specSchema(SiteEvaluationSchema);
