import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  Allow,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { ReferenceField } from '../models/reference.decorator';
import { COST_METRICS } from './core/latency-cost';
import { ARCHITECTURE_SPACE_TYPES } from './core/spaces/space-registry';
import type { NasJobResult, TrialSummary } from './core/nas-report';
import { UserKeyed } from '../platform/http/user-keyed';

/**
 * `POST /v1/nas`. The body is the `nas` job spec (src/nas/core/nas-spec.ts): fields whose
 * shape depends on a name (space, strategy, pruner) are checked there, and every problem is
 * reported at once as `spec.<field>`.
 */
export class NasRequestDto {
  @ReferenceField('data set', 'A registered data set')
  dataset!: string;

  @ApiProperty({
    description: `A built-in space name (${ARCHITECTURE_SPACE_TYPES.join(', ')}) or { type, ...config }`,
    oneOf: [
      { type: 'string', enum: [...ARCHITECTURE_SPACE_TYPES] },
      { type: 'object', additionalProperties: true },
    ],
    example: 'cell-cnn',
  })
  @IsDefined()
  @Allow()
  space!: unknown;

  @ApiPropertyOptional({
    description: 'random | tpe | regularized-evolution, or { name, settings }',
    oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
    example: 'tpe',
  })
  @Allow()
  strategy?: unknown;

  @ApiPropertyOptional({
    description:
      '{ kind: "accuracy" } (default), { kind: "multi", costs: ["flops"] } or { kind: "scalarised", cost, lambda }',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @UserKeyed()
  @IsObject()
  objective?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Cost budgets: [{ metric: flops | params | latencyMs, max }]',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  @IsOptional()
  @IsArray()
  constraints?: unknown[];

  @ApiPropertyOptional({
    description: 'Early stopping on epochs: asha | hyperband | median ..., or { name, settings }',
    oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
  })
  @Allow()
  pruner?: unknown;

  @ApiProperty({
    description:
      '{ trials, epochsPerTrial, batchSize?, learningRate?, timeoutMs?, parallelism? (1..32, default 1: candidate jobs in flight) }',
    type: 'object',
    additionalProperties: true,
    example: { trials: 10, epochsPerTrial: 1 },
  })
  @UserKeyed()
  @IsObject()
  budget!: Record<string, unknown>;

  @ApiPropertyOptional({ default: 0.2, description: 'Share of train + validation used to rank' })
  @IsOptional()
  @IsNumber()
  validationFraction?: number;

  @ApiPropertyOptional({ default: 64, description: 'Text: tokens per example' })
  @IsOptional()
  @IsInt()
  sequenceLength?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 2147483647,
    description:
      'Seeds the data split, the sampler and every candidate; default: a random seed, recorded on the search (GET /v1/nas/:id `seed`) so it can be reproduced',
  })
  @IsOptional()
  @IsInt()
  seed?: number;
}

/** `POST /v1/nas/:id/export`: which architecture, and how to retrain it. */
export class NasExportDto {
  @ApiPropertyOptional({
    description: 'A trial number of the search, or "best" (default)',
    oneOf: [
      { type: 'integer', minimum: 0 },
      { type: 'string', enum: ['best'] },
    ],
    example: 'best',
  })
  @Allow()
  trial?: unknown;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 5 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  epochs?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 65536, default: 32 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65536)
  batchSize?: number;

  @ApiPropertyOptional({ default: 0.001 })
  @IsOptional()
  @IsNumber()
  @Min(1e-8)
  @Max(10)
  learningRate?: number;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  seed?: number;

  @ApiPropertyOptional({ description: 'Registered model name' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
    message:
      'name must be 1-100 letters, digits, ".", "_" or "-" starting with one of the first two',
  })
  name?: string;
}

/** `POST /v1/prune`: the `prune` job spec (src/nas/core/pruning/prune-spec.ts). */
export class PruneRequestDto {
  @ReferenceField('model', 'A registered model (a chain CNN or MLP)')
  model!: string;

  @ReferenceField('data set', 'Data set to fine-tune and measure on (default: the model’s own)', {
    optional: true,
  })
  dataset?: string;

  @ApiPropertyOptional({
    description: 'Fractions of the original cost, one model each',
    type: [Number],
    default: [0.75, 0.5, 0.25],
  })
  @IsOptional()
  @IsArray()
  @IsNumber({}, { each: true })
  budgets?: number[];

  @ApiPropertyOptional({ enum: COST_METRICS, default: 'flops' })
  @IsOptional()
  @IsIn([...COST_METRICS])
  metric?: string;

  @ApiPropertyOptional({ default: 0.125, description: 'Share of a layer’s filters per step' })
  @IsOptional()
  @IsNumber()
  stepFraction?: number;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @IsInt()
  stepFineTuneEpochs?: number;

  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @IsInt()
  fineTuneEpochs?: number;

  @ApiPropertyOptional({ default: 32 })
  @IsOptional()
  @IsInt()
  batchSize?: number;

  @ApiPropertyOptional({ default: 0.0005 })
  @IsOptional()
  @IsNumber()
  learningRate?: number;

  @ApiPropertyOptional({ type: [String], description: 'Only these layers are pruned' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  layers?: string[];

  @ApiPropertyOptional({ default: 0.2 })
  @IsOptional()
  @IsNumber()
  validationFraction?: number;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @IsInt()
  seed?: number;

  @ApiPropertyOptional({ default: true, description: 'Register each pruned model' })
  @IsOptional()
  @IsBoolean()
  register?: boolean;
}

/** `GET /v1/nas/:id`: the job's state and, once it succeeded, the search's results. */
export class NasStatusDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'running' }) status!: string;
  @ApiProperty({ minimum: 0, maximum: 1 }) progress!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) progressMessage!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) spec!: unknown;
  @ApiPropertyOptional({ type: [String], description: 'Objective names, e.g. accuracy, flops' })
  objectives?: string[];
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description:
      'The seed of the search: the one asked for, or the random one drawn at its start (null until then)',
  })
  seed!: number | null;
  @ApiPropertyOptional({ description: 'Trials finished (so far, while running)' }) trials?: number;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description:
      'Finished trials by outcome: complete (feasible), infeasible (complete but over a measured budget such as latencyMs), pruned, failed; rejectedDraws: candidates over a params/FLOPs budget re-drawn before they became trials',
  })
  counts?: Record<string, number>;
  @ApiPropertyOptional({
    type: [String],
    description: 'The costs the Pareto front trades accuracy against (pareto.png plots the first)',
  })
  frontCosts?: string[];
  @ApiPropertyOptional({ description: 'completed | timeout | cancelled' }) stoppedBy?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'The best feasible trial (never violates a constraint)',
  })
  best?: TrialSummary;
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description:
      'Complete trials, best first (top 20): feasible ones by the objective, then infeasible ones (feasible: false) by constraint violation',
  })
  leaderboard?: TrialSummary[];
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description:
      'Feasible complete trials not dominated in accuracy and frontCosts: the points pareto.json and pareto.png show',
  })
  paretoFront?: TrialSummary[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    description: 'Download URLs: paretoPng, paretoJson, trialsJson (null when not written)',
  })
  artifacts?: Record<string, string | null>;

  static from(
    job: {
      id: string;
      status: string;
      progress: number;
      progressMessage: string | null;
      error: string | null;
      spec: unknown;
      result: unknown;
    },
    stored: readonly string[],
    /** While the search runs: the result of the trials finished so far. */
    live: NasJobResult | undefined,
    seed: number | null,
  ): NasStatusDto {
    const dto: NasStatusDto = {
      id: job.id,
      status: job.status,
      progress: job.progress,
      progressMessage: job.progressMessage,
      error: job.error,
      spec: job.spec,
      seed,
    };
    const r = job.status === 'succeeded' ? (job.result as NasJobResult | null) : live;
    if (r) {
      Object.assign(dto, {
        objectives: r.objectives,
        trials: r.trials,
        counts: r.counts,
        frontCosts: r.frontCosts,
        ...(job.status === 'succeeded' && { stoppedBy: r.stoppedBy }),
        ...(r.best && { best: r.best }),
        leaderboard: r.leaderboard,
        paretoFront: r.paretoFront,
      });
    }
    const url = (name: string): string | null =>
      stored.includes(name) ? `/v1/jobs/${job.id}/artifacts/${name}` : null;
    dto.artifacts = {
      paretoPng: url('pareto.png'),
      paretoJson: url('pareto.json'),
      trialsJson: url('trials.json'),
    };
    return dto;
  }
}
