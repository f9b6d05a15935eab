/**
 * The one schema of job kind `nas`: the body of `POST /v1/nas` (the spec itself), the spec
 * `POST /v1/jobs` takes, validation at enqueue and the normalised spec stored (strategy and
 * pruner as `{ name, settings }`, defaults filled in). `refine` checks what depends on a name:
 * the space's own configuration, the sampler's and the pruner's settings, the objective's form.
 */
import { Type, type Static } from '@sinclair/typebox';
import { FieldProblem, ValidationError } from '../platform/errors/domain-error';
import { specSchema, type SpecSchema } from '../platform/validation/spec-schema';
import { StringEnum } from '../platform/validation/schema-builders';
import { ReferenceSchema } from '../registry/reference.schema';
import { parseSearchSpace } from '../search/core/space';
import { createPruner, PRUNER_NAMES } from '../search/core/pruners/pruner-registry';
import { createSampler } from '../search/core/samplers/sampler-registry';
import { architectureEvolutionSampler } from './core/architecture-evolution';
import { COST_METRICS } from './core/latency-cost';
import { NAS_JOB_DEFAULTS as D, NAS_STRATEGIES, type NasJobSpec } from './core/nas-spec';
import { parseObjective } from './core/objectives';
import { ArchitectureSpace } from './core/spaces/architecture-space';
import { ARCHITECTURE_SPACE_TYPES, createArchitectureSpace } from './core/spaces/space-registry';

// Optional, filled in by `named`: a default inside a union branch is never applied by the
// validator (ajv skips defaults under anyOf), so `{ name: 'random' }` was refused.
const Settings = Type.Optional(
  Type.Object({}, { additionalProperties: true, description: 'default {}' }),
);

/** A sampler or pruner: its name, or `{ name, settings }` (what is stored). */
function algorithm(names: readonly string[], description: string) {
  return Type.Union(
    [
      StringEnum(names),
      Type.Object({ name: StringEnum(names), settings: Settings }, { additionalProperties: false }),
    ],
    { description },
  );
}

export const NasSpecSchema = Type.Object(
  {
    dataset: ReferenceSchema('data set', 'A registered data set'),
    space: Type.Union(
      [
        StringEnum(ARCHITECTURE_SPACE_TYPES),
        Type.Object(
          { type: StringEnum(ARCHITECTURE_SPACE_TYPES) },
          { additionalProperties: true, description: 'The space type and its configuration' },
        ),
      ],
      {
        description: `A built-in space name (${ARCHITECTURE_SPACE_TYPES.join(', ')}) or { type, ...config }`,
        example: 'cell-cnn',
      },
    ),
    strategy: {
      ...algorithm(NAS_STRATEGIES, 'The sampler, or { name, settings }'),
      default: D.strategy,
    },
    objective: Type.Object(
      { kind: StringEnum(['accuracy', 'multi', 'scalarised'] as const) },
      {
        additionalProperties: true,
        default: { kind: 'accuracy' },
        description:
          '{ kind: "accuracy" } (default), { kind: "multi", costs: ["flops"] } or { kind: "scalarised", cost, lambda }',
      },
    ),
    constraints: Type.Array(
      Type.Object(
        { metric: StringEnum(COST_METRICS), max: Type.Number({ exclusiveMinimum: 0 }) },
        { additionalProperties: false },
      ),
      { maxItems: COST_METRICS.length * 4, default: [], description: 'Cost budgets: cost <= max' },
    ),
    pruner: Type.Optional(
      algorithm(
        PRUNER_NAMES,
        'Early stopping on epochs (asha, hyperband, median ...), or { name, settings }',
      ),
    ),
    budget: Type.Object(
      {
        trials: Type.Integer({ minimum: 1, maximum: D.maxTrials }),
        epochsPerTrial: Type.Integer({ minimum: 1, maximum: D.maxEpochs }),
        batchSize: Type.Integer({ minimum: 1, maximum: 65536, default: D.batchSize }),
        learningRate: Type.Number({
          exclusiveMinimum: 0,
          exclusiveMaximum: 10,
          default: D.learningRate,
        }),
        timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 86_400_000 })),
        parallelism: Type.Integer({
          minimum: 1,
          maximum: D.maxParallelism,
          default: D.parallelism,
          description: 'Candidate jobs in flight',
        }),
      },
      { additionalProperties: false, example: { trials: 10, epochsPerTrial: 1 } },
    ),
    validationFraction: Type.Number({
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: D.validationFraction,
      description: 'Share of train + validation used to rank',
    }),
    sequenceLength: Type.Integer({
      minimum: 1,
      maximum: 4096,
      default: D.sequenceLength,
      description: 'Text: tokens per example',
    }),
    seed: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 2 ** 31 - 1,
        description:
          'Seeds the data split, the sampler and every candidate; default: a random seed, recorded on the search (GET /v1/nas/:id `seed`) so it can be reproduced',
      }),
    ),
  },
  { additionalProperties: false },
);
type RawNasSpec = Static<typeof NasSpecSchema>;

/** Runs `check`, keeping its field problems (under `prefix`) for one report of them all. */
function collect(problems: FieldProblem[], prefix: string, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    for (const p of e.problems) problems.push({ ...p, field: `${prefix}.${p.field}` });
  }
}

const named = (a: string | { name: string; settings?: Record<string, unknown> }) =>
  typeof a === 'string' ? { name: a, settings: {} } : { name: a.name, settings: a.settings ?? {} };

function refineNas(s: RawNasSpec, path: string): NasJobSpec {
  const problems: FieldProblem[] = [];
  const at = (field: string) => (path ? `${path}.${field}` : field);
  let space: ArchitectureSpace | undefined;
  try {
    space = createArchitectureSpace(s.space, at('space'));
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    problems.push(...e.problems);
  }
  const strategy = named(s.strategy);
  collect(problems, at('strategy.settings'), () => {
    if (strategy.name !== 'regularized-evolution') createSampler(strategy.name, strategy.settings);
    else if (space)
      architectureEvolutionSampler(
        space,
        parseSearchSpace(space.toSearchSpace()),
        strategy.settings,
      );
  });
  const { pruner: rawPruner, ...rest } = s;
  const pruner = rawPruner === undefined ? undefined : named(rawPruner);
  if (pruner)
    collect(problems, at('pruner.settings'), () => createPruner(pruner.name, pruner.settings));
  let objective: NasJobSpec['objective'] = { kind: 'accuracy' };
  try {
    objective = parseObjective(s.objective, at('objective'));
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    problems.push(...e.problems);
  }
  if (problems.length)
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  return { ...rest, strategy, objective, ...(pruner && { pruner }) };
}

export const nasSpec: SpecSchema<NasJobSpec> = specSchema(NasSpecSchema, refineNas);
