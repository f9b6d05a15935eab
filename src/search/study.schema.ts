import { Type, type TObject, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { ValidationError, type FieldProblem } from '../platform/errors/domain-error';
import { StringEnum, StringMap, TaggedUnion } from '../platform/validation/schema-builders';
import {
  IMAGE_REFERENCE_MAX_LENGTH,
  IMAGE_REFERENCE_PATTERN,
} from '../platform/validation/image-reference';
import { placementSchema } from '../platform/validation/placement';
import { resourcesProperty } from '../platform/validation/job-resources';
import { specSchema } from '../platform/validation/spec-schema';
import {
  MAX_SEED,
  SEARCH_SERVICE_DEFAULTS,
  normaliseStudyConfig,
  type StudyConfig,
} from './core/config/study-config';
import { STUDY_DEFAULTS } from './core/config/validate-study';
import { PRUNERS } from './core/pruners/pruner-registry';
import { SAMPLERS } from './core/samplers/sampler-registry';
import { describeSettings, type AlgorithmConfig, type SettingDescription } from './core/settings';
import { parseSearchSpace } from './core/space';

/*
 * The one schema of a study (ARCHITECTURE.md, "one schema per job kind"): the body of
 * POST /v1/studies and /v1/studies:validate, normalised once into the `studies.config` the
 * `study` driver job and its `trial-command` jobs read. Who owns which rule:
 *  - this schema: shapes, types, enums, ranges, lengths, unknown fields, plain defaults;
 *  - the library (src/search/core), as its constructors do for Optuna's samplers: the search
 *    space (parseSearchSpace) and each algorithm's settings (SettingsReader). The settings part
 *    of this schema is generated from those constructors' reads (describeSettings), so the API
 *    document, the enqueue check and the library state one rule per setting;
 *  - normaliseStudyConfig: what relates fields (metrics per direction, cmaes single-objective,
 *    the seed given twice, a command runner's default budget).
 */

/** A setting as its constructor reads it. `seed` has no default: a study draws a random one. */
function settingSchema(d: SettingDescription): TSchema {
  const def = d.kind === 'value' || d.key === 'seed' ? {} : { default: d.default };
  switch (d.kind) {
    case 'int':
      return Type.Integer({
        minimum: d.min,
        ...(d.max === undefined ? {} : { maximum: d.max }),
        ...def,
      });
    case 'number': {
      const low =
        d.min === undefined
          ? {}
          : d.exclusiveMin
            ? { exclusiveMinimum: d.min }
            : { minimum: d.min };
      return Type.Number({ ...low, ...(d.max === undefined ? {} : { maximum: d.max }), ...def });
    }
    case 'bool':
      return Type.Boolean(def);
    case 'oneOf':
      return StringEnum(d.allowed, def);
    case 'value':
      return Type.Unknown({ description: 'Checked by the algorithm (docs/search.md)' });
  }
}

/** One branch per registered algorithm: `{name, settings}` with the settings it reads. */
function algorithms(
  registry: Readonly<Record<string, new (settings?: unknown) => unknown>>,
  def: string,
  description: string,
): TUnsafe<AlgorithmConfig> {
  const branches: TObject[] = Object.entries(registry).map(([name, Ctor]) => {
    const read = describeSettings(() => new Ctor({}));
    const settings = Object.fromEntries(read.map((d) => [d.key, Type.Optional(settingSchema(d))]));
    return Type.Object(
      {
        name: Type.Literal(name),
        settings: Type.Object(settings, { additionalProperties: false, default: {} }),
      },
      { additionalProperties: false },
    );
  });
  return Type.Unsafe<AlgorithmConfig>(
    TaggedUnion('name', branches, { default: { name: def }, description }),
  );
}

const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});
/** Seconds in (0, 30 days]; null (as stored) means none. */
const Seconds = (description: string) =>
  Type.Optional(
    Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 30 * 24 * 3600 }), Type.Null()], {
      description,
    }),
  );
const Direction = StringEnum(['minimize', 'maximize']);

const StudyBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, example: 'mlp-lr' }),
    seed: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_SEED,
        description:
          "The sampler's seed (same as sampler.settings.seed); default: a random seed, recorded on the study (`seed`) so it can be reproduced",
      }),
    ),
    space: StringMap(
      Type.Unknown(),
      { maxLength: 128 },
      {
        description:
          'Search space: {name: {type: float|int|categorical, low, high, log?, step?, choices?, when?}} (docs/search.md)',
        example: {
          x: { type: 'float', low: -5, high: 5 },
          opt: { type: 'categorical', choices: ['sgd', 'adam'] },
        },
      },
    ),
    direction: Type.Optional({ ...Direction, description: 'One objective (default minimize)' }),
    directions: Type.Optional(Type.Array(Direction, { minItems: 1, maxItems: 8 })),
    metrics: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
        maxItems: 8,
        description: 'Metric name of each objective, as the trial prints it (default "value")',
        example: ['loss'],
      }),
    ),
    constraints: Type.Optional(
      Type.Array(
        Type.Object(
          {
            metric: Type.String({ minLength: 1, maxLength: 128, example: 'latency_ms' }),
            max: Type.Optional(Type.Number({ description: 'Feasible when metric <= max' })),
            min: Type.Optional(Type.Number({ description: 'Feasible when metric >= min' })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 16 },
      ),
    ),
    warmStartFrom: Type.Optional({
      ...Uuid,
      description:
        "A study of this project whose complete trials seed this study's sampler as prior observations (GP and auto samplers; not counted as this study's trials)",
    }),
    sampler: algorithms(
      SAMPLERS,
      STUDY_DEFAULTS.sampler,
      'The sampler by name (default auto) with its settings; unknown settings are refused (docs/search.md)',
    ),
    pruner: algorithms(
      PRUNERS,
      STUDY_DEFAULTS.pruner,
      'The pruner by name (default nop) with its settings (docs/search.md)',
    ),
    budget: Type.Object(
      {
        nTrials: Type.Optional(
          Type.Union(
            [Type.Integer({ minimum: 1, maximum: SEARCH_SERVICE_DEFAULTS.maxTrials }), Type.Null()],
            {
              description: `Trials to run (a command runner without nTrials or timeoutS runs ${SEARCH_SERVICE_DEFAULTS.nTrials})`,
            },
          ),
        ),
        timeoutS: Seconds('Seconds from creation after which no trial is started'),
        parallelism: Type.Integer({
          minimum: 1,
          maximum: SEARCH_SERVICE_DEFAULTS.maxParallelism,
          default: SEARCH_SERVICE_DEFAULTS.parallelism,
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    placement: Type.Optional({
      ...placementSchema("the study's trial jobs run"),
      description:
        "Where the trials' pods run on Kubernetes: a namespace of AUTODL_K8S_PLACEMENT_NAMESPACES and node labels (command runner only; default: the executor's namespace)",
    }),
    runner: TaggedUnion(
      'type',
      [
        Type.Object(
          {
            type: Type.Literal('command'),
            command: Type.Array(Type.String({ maxLength: 4096 }), {
              minItems: 1,
              maxItems: 256,
              description:
                'argv of the trial command (no shell); `${name}` is replaced by the parameter',
              example: ['python', 'train.py', '--lr=${lr}'],
            }),
            env: StringMap(
              Type.String({ maxLength: 4096 }),
              { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 128 },
              { default: {}, description: 'Environment variables of the trial command' },
            ),
            timeoutS: Seconds('Seconds before a trial command is killed'),
            image: Type.Optional(
              Type.String({
                pattern: IMAGE_REFERENCE_PATTERN,
                maxLength: IMAGE_REFERENCE_MAX_LENGTH,
                example: 'python:3.12-slim',
                description:
                  'Run each trial\'s command in this image (needs `sh` and `tee`): on the Kubernetes executor the trial pod gets the image as its own container and the worker collects its output from a shared volume (docs/deploy.md, "Trial images"); default: the command runs sandboxed in the AutoDL image',
              }),
            ),
            // Each trial is a job that trains: its Kubernetes request, as the other kinds take it.
            ...resourcesProperty,
          },
          { additionalProperties: false },
        ),
        Type.Object({ type: Type.Literal('external') }, { additionalProperties: false }),
      ],
      {
        default: { type: 'external' },
        description:
          '`command`: a `study` job runs each trial as a sandboxed command; `external` (default): a program drives the study through ask/tell',
      },
    ),
  },
  { additionalProperties: false },
);

/** The checked, normalised study: its name and the config `studies.config` stores. */
export interface StudyCreation {
  name: string;
  config: StudyConfig;
}

/** The body of POST /v1/studies and /v1/studies:validate (its OpenAPI form: `openApi()`). */
export const studyBody = specSchema(StudyBodySchema, ({ name, ...rest }): StudyCreation => ({
  name,
  config: normaliseStudyConfig(rest),
}));

/**
 * Parses a study request. When the schema refuses it, the search space (the library's to check)
 * is checked as well, so one answer lists every problem and a user fixes a request in one pass.
 */
export function parseStudyRequest(raw: unknown): StudyCreation {
  try {
    return studyBody.parse(raw, '');
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const space = (raw as { space?: unknown } | null)?.space;
    const problems: FieldProblem[] = [...e.problems];
    if (space !== undefined && typeof space === 'object' && space !== null) {
      try {
        parseSearchSpace(space, 'space');
      } catch (s) {
        if (!(s instanceof ValidationError)) throw s;
        for (const p of s.problems)
          if (!problems.some((q) => q.field === p.field)) problems.push(p);
      }
    }
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  }
}

/**
 * The body of PATCH /v1/studies/{id}: what may change while a study runs (Katib lets
 * maxTrialCount and parallelTrialCount of a running experiment change; nothing else).
 */
export const studyPatchBody = specSchema(
  Type.Object(
    {
      budget: Type.Object(
        {
          nTrials: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: SEARCH_SERVICE_DEFAULTS.maxTrials,
              description:
                'Trials to run in all; fewer than already started ends the study once those finish',
            }),
          ),
          parallelism: Type.Optional(
            Type.Integer({ minimum: 1, maximum: SEARCH_SERVICE_DEFAULTS.maxParallelism }),
          ),
        },
        { additionalProperties: false, minProperties: 1 },
      ),
    },
    { additionalProperties: false },
  ),
);
