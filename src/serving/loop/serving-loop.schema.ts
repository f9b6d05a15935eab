import { Type, type Static } from '@sinclair/typebox';
import { TrafficSchema } from '../../jizhi-sim/core/pipeline-schema';
import { specSchema } from '../../platform/validation/spec-schema';
import { DEFAULT_PROFILE_OPTIONS, ProfileOptions } from '../core/service-profile';

/*
 * The one schema of each request of the serving loop (profile -> tune -> apply): the REST bodies
 * and the job specs they become. The controller resolves the deployment and adds it to the spec
 * (`deployment`), so a worker needs nothing but the spec and the registry.
 */

const DeploymentConfigSchema = Type.Object(
  {
    instances: Type.Integer({ minimum: 1, maximum: 64 }),
    batch: Type.Object(
      {
        maxSize: Type.Integer({ minimum: 1, maximum: 1024 }),
        maxDelayMs: Type.Number({ minimum: 0, maximum: 60_000 }),
      },
      { additionalProperties: false },
    ),
    queue: Type.Object(
      {
        capacity: Type.Integer({ minimum: 0, description: '0 = keep the deployment’s' }),
        timeoutMs: Type.Number({ minimum: 0, description: '0 = keep the deployment’s' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const ProfileBodySchema = Type.Object(
  {
    batchSizes: Type.Array(Type.Integer({ minimum: 1, maximum: 1024 }), {
      minItems: 1,
      maxItems: 12,
      uniqueItems: true,
      default: DEFAULT_PROFILE_OPTIONS.batchSizes,
      description: 'Batch sizes to profile; the tuner chooses maxSize among them',
    }),
    targetRelCi: Type.Number({
      exclusiveMinimum: 0,
      maximum: 0.5,
      default: DEFAULT_PROFILE_OPTIONS.targetRelCi,
      description: 'Stop a size once the p99’s 95% bootstrap CI half-width is within this fraction',
    }),
    warmup: Type.Integer({ minimum: 0, maximum: 1000, default: DEFAULT_PROFILE_OPTIONS.warmup }),
    maxSamples: Type.Integer({
      minimum: 20,
      maximum: 20_000,
      default: DEFAULT_PROFILE_OPTIONS.maxSamples,
    }),
    maxSecondsPerSize: Type.Number({
      exclusiveMinimum: 0,
      maximum: 600,
      default: DEFAULT_PROFILE_OPTIONS.maxMsPerSize / 1000,
    }),
    backend: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Literal('wasm'), Type.Literal('cpu')]),
    ),
  },
  { additionalProperties: false },
);
export type ProfileBody = Static<typeof ProfileBodySchema>;

export const profileBody = specSchema(ProfileBodySchema);

export function profileOptions(b: ProfileBody): ProfileOptions {
  return {
    ...DEFAULT_PROFILE_OPTIONS,
    batchSizes: b.batchSizes,
    targetRelCi: b.targetRelCi,
    warmup: b.warmup,
    maxSamples: b.maxSamples,
    minSamples: Math.min(DEFAULT_PROFILE_OPTIONS.minSamples, b.maxSamples),
    maxMsPerSize: b.maxSecondsPerSize * 1000,
  };
}

const DeploymentRefSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    modelId: Type.String({ format: 'uuid' }),
    config: DeploymentConfigSchema,
  },
  { additionalProperties: false },
);

const ProfileJobSchema = Type.Object(
  {
    deployment: DeploymentRefSchema,
    options: ProfileBodySchema,
    /** The API's request path as its meter measured it at submission (absent before traffic). */
    requestPath: Type.Optional(
      Type.Object(
        {
          eventLoopMs: Type.Number({ exclusiveMinimum: 0, maximum: 60_000 }),
          perBatchMs: Type.Optional(Type.Number({ minimum: 0, maximum: 60_000 })),
          batchSize: Type.Optional(Type.Number({ minimum: 1, maximum: 100_000 })),
          wakeDelayMs: Type.Optional(Type.Number({ minimum: 0, maximum: 60_000 })),
          handoffMs: Type.Optional(Type.Number({ minimum: 0, maximum: 60_000 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
/** Job kind `deployment-profile`: the body and the deployment it profiles. */
export const profileJobSpec = specSchema(ProfileJobSchema);
export type ProfileJobSpec = Static<typeof ProfileJobSchema>;

export const TuneBodySchema = Type.Object(
  {
    traffic: TrafficSchema,
    slo: Type.Object(
      {
        p99Ms: Type.Number({ exclusiveMinimum: 0 }),
        maxDropRate: Type.Number({ minimum: 0, maximum: 1, default: 0.001 }),
      },
      { additionalProperties: false },
    ),
    maxInstances: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
    delaysMs: Type.Array(Type.Number({ minimum: 0, maximum: 1000 }), {
      minItems: 1,
      maxItems: 20,
      default: [0, 1, 2, 4, 8],
      description: 'maxDelayMs values searched',
    }),
    trials: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 5000, description: 'Default: the whole grid' }),
    ),
    durationS: Type.Number({ exclusiveMinimum: 0, maximum: 3600, default: 60 }),
    seed: Type.Integer({ minimum: 0, default: 0 }),
    profile: Type.Optional(
      Type.String({ format: 'uuid', description: 'A profile id (default: the latest)' }),
    ),
  },
  { additionalProperties: false },
);
export type TuneBody = Static<typeof TuneBodySchema>;
export const tuneBody = specSchema(TuneBodySchema);

const TuneJobSchema = Type.Object(
  {
    deployment: Type.Object(
      { id: Type.String({ format: 'uuid' }) },
      { additionalProperties: false },
    ),
    profileId: Type.String({ format: 'uuid' }),
    request: TuneBodySchema,
  },
  { additionalProperties: false },
);
/** Job kind `deployment-tune`: the body, the deployment and the profile it tunes from. */
export const tuneJobSpec = specSchema(TuneJobSchema);
export type TuneJobSpec = Static<typeof TuneJobSchema>;

export const ApplyBodySchema = Type.Object(
  {
    tuning: Type.Optional(
      Type.String({ format: 'uuid', description: 'A succeeded deployment-tune job' }),
    ),
    config: Type.Optional(DeploymentConfigSchema),
  },
  { additionalProperties: false },
);
export const applyBody = specSchema(ApplyBodySchema);
export type ApplyBody = Static<typeof ApplyBodySchema>;
