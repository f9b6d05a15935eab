/**
 * The schema of job kind `federation-site`: one piece of site work (train, or evaluate the new
 * global model) of one federation round attempt, for the sites the job serves; queued by the
 * federation's coordinator only (child job). A job answers one item per site and ends, so it
 * never holds a worker while other sites train. One site per job on
 * the worker pool; on Kubernetes the sites of one placement group (namespace and nodeSelector)
 * share one job, run as one Indexed Job whose pod `i` trains `sites[i]` (docs/deploy.md).
 */
import { Type, type Static } from '@sinclair/typebox';
import { ValidationError } from '../platform/errors/domain-error';
import { specSchema, type SpecSchema } from '../platform/validation/spec-schema';

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const SiteJobSpecSchema = Type.Object(
  {
    federationId: Type.String({ pattern: UUID, description: 'The federation (its job id)' }),
    round: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    attempt: Type.Integer({ minimum: 1, maximum: 1000 }),
    work: Type.Union([Type.Literal('train'), Type.Literal('evaluate'), Type.Literal('stats')], {
      description:
        'train: local training from the global state; evaluate: the new global model; stats: per-class feature statistics under the final global model (classifierCalibration)',
    }),
    sites: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$' }), {
      minItems: 1,
      maxItems: 32,
      description: 'The sites this job trains (an Indexed Job: one per completion index)',
    }),
    placement: Type.Union(
      [
        Type.Object(
          {
            namespace: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' }),
            nodeSelector: Type.Optional(Type.Record(Type.String(), Type.String())),
            completions: Type.Integer({
              minimum: 1,
              maximum: 32,
              description: 'Pods at once (an Indexed Job when > 1): one per site',
            }),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { default: null, description: 'The sites’ Kubernetes placement (null: the worker pool)' },
    ),
  },
  { additionalProperties: false },
);

export type SiteJobSpec = Static<typeof SiteJobSpecSchema>;

export const siteJobSpec: SpecSchema<SiteJobSpec> = specSchema(SiteJobSpecSchema, (s, path) => {
  if (new Set(s.sites).size !== s.sites.length)
    throw ValidationError.field(`${path}.sites`, 'site names must be unique');
  if (s.placement && s.placement.completions !== s.sites.length)
    throw ValidationError.field(
      `${path}.placement.completions`,
      `must be the number of sites (${s.sites.length}): one pod per site`,
    );
  return s;
});
