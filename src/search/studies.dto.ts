import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PageQuery, QueryInt } from '../platform/http/query';
import { STUDY_STATUSES, StudyStatus } from './storage/entities';
import { UserKeyed } from '../platform/http/user-keyed';

const TRIAL_STATES = ['running', 'complete', 'pruned', 'failed'] as const;

export class AlgorithmDto {
  @ApiProperty({ example: 'tpe', description: 'Registered name (see docs/search.md)' })
  @IsString()
  @MaxLength(64)
  name!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { seed: 1 },
    description: "The algorithm's settings; unknown keys are rejected",
  })
  @IsOptional()
  @UserKeyed()
  @IsObject()
  settings?: Record<string, unknown>;
}

export class BudgetDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100000, example: 50 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  nTrials?: number;

  @ApiPropertyOptional({ description: 'Seconds from creation after which no trial is started' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(2_592_000)
  timeoutS?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 64, default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(64)
  parallelism?: number;
}

export class RunnerDto {
  @ApiProperty({ enum: ['command', 'external'] })
  @IsIn(['command', 'external'])
  type!: 'command' | 'external';

  @ApiPropertyOptional({
    type: [String],
    example: ['python', 'train.py', '--lr=${lr}'],
    description: 'argv of the trial command (no shell); `${name}` is replaced by the parameter',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(256)
  @IsString({ each: true })
  @MaxLength(4096, { each: true })
  command?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @UserKeyed()
  @IsObject()
  env?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Seconds before a trial command is killed' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(2_592_000)
  timeoutS?: number;
}

export class ConstraintDto {
  @ApiProperty({ example: 'latency_ms' })
  @IsString()
  @MaxLength(128)
  metric!: string;

  @ApiPropertyOptional({ example: 20 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  max?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  min?: number;
}

export class CreateStudyDto {
  @ApiProperty({ example: 'mlp-lr', minLength: 1, maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Search space: {name: {type: float|int|categorical, low, high, log?, step?, choices?, when?}}',
    example: {
      x: { type: 'float', low: -5, high: 5 },
      opt: { type: 'categorical', choices: ['sgd', 'adam'] },
    },
  })
  @UserKeyed()
  @IsObject()
  space!: Record<string, unknown>;

  @ApiPropertyOptional({ enum: ['minimize', 'maximize'], description: 'One objective' })
  @IsOptional()
  @IsString()
  direction?: string;

  @ApiPropertyOptional({ type: [String], example: ['minimize', 'maximize'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsString({ each: true })
  directions?: string[];

  @ApiPropertyOptional({
    type: [String],
    example: ['loss'],
    description: 'Metric name of each objective, as the trial prints it (default "value")',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  metrics?: string[];

  @ApiPropertyOptional({ type: [ConstraintDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @ValidateNested({ each: true })
  @Type(() => ConstraintDto)
  constraints?: ConstraintDto[];

  // No description here: a $ref with siblings becomes allOf, which schema walkers cannot type.
  @ApiPropertyOptional({ type: AlgorithmDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => AlgorithmDto)
  sampler?: AlgorithmDto;

  @ApiPropertyOptional({ type: AlgorithmDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => AlgorithmDto)
  pruner?: AlgorithmDto;

  @ApiPropertyOptional({ type: BudgetDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => BudgetDto)
  budget?: BudgetDto;

  @ApiPropertyOptional({ type: RunnerDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RunnerDto)
  runner?: RunnerDto;
}

export class ListStudiesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: STUDY_STATUSES })
  @IsOptional()
  @IsIn(STUDY_STATUSES)
  status?: StudyStatus;
}

export class ListTrialsQuery {
  @ApiPropertyOptional({ enum: TRIAL_STATES })
  @IsOptional()
  @IsIn(TRIAL_STATES)
  state?: (typeof TRIAL_STATES)[number];

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 1000 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  offset?: number;
}

export class ImportanceQuery {
  @ApiPropertyOptional({ minimum: 0, maximum: 7, default: 0, description: 'Objective index' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(7)
  objective?: number;
}

export class TellDto {
  @ApiPropertyOptional({ type: [Number], description: 'One value per objective (state complete)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsNumber({ allowNaN: false, allowInfinity: true }, { each: true })
  values?: number[];

  @ApiPropertyOptional({ description: 'Single-objective shorthand for values: [value]' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: true })
  value?: number;

  @ApiPropertyOptional({ enum: ['complete', 'pruned', 'failed'], default: 'complete' })
  @IsOptional()
  @IsIn(['complete', 'pruned', 'failed'])
  state?: 'complete' | 'pruned' | 'failed';

  @ApiPropertyOptional({ type: [Number], description: 'Feasible when every value is <= 0' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @IsNumber({ allowNaN: false, allowInfinity: true }, { each: true })
  constraints?: number[];
}

export class ReportDto {
  @ApiProperty({ minimum: 0, example: 3 })
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  step!: number;

  @ApiPropertyOptional({ example: 0.42, description: 'Intermediate value (one objective)' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: true })
  value?: number;

  @ApiPropertyOptional({ type: [Number], description: 'One intermediate value per objective' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsNumber({ allowNaN: false, allowInfinity: true }, { each: true })
  values?: number[];
}

export class TrialDto {
  @ApiProperty() number!: number;
  @ApiProperty({ enum: TRIAL_STATES }) state!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) params!: Record<string, unknown>;
  @ApiPropertyOptional({ type: [Number], nullable: true }) values!: number[] | null;
  @ApiPropertyOptional({ type: [Number], nullable: true }) constraints!: number[] | null;
  @ApiProperty({
    type: 'array',
    items: {
      type: 'object',
      properties: {
        step: { type: 'integer' },
        values: { type: 'array', items: { type: 'number' } },
      },
    },
  })
  intermediate!: { step: number; values: number[] }[];
  @ApiProperty({ type: 'object', additionalProperties: true }) userAttrs!: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'date-time' }) startedAt!: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  finishedAt!: string | null;
}

export class TrialCountsDto {
  @ApiProperty() running!: number;
  @ApiProperty() complete!: number;
  @ApiProperty() pruned!: number;
  @ApiProperty() failed!: number;
}

export class StudyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: STUDY_STATUSES }) status!: string;
  @ApiProperty({ type: [String] }) directions!: string[];
  @ApiProperty({ type: [String] }) metrics!: string[];
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'The normalised configuration (space, constraints, sampler, pruner, budget, runner)',
  })
  config!: Record<string, unknown>;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'Driver job' })
  jobId!: string | null;
  @ApiProperty({ type: TrialCountsDto }) counts!: TrialCountsDto;
  @ApiPropertyOptional({ type: TrialDto, nullable: true, description: 'Single objective only' })
  bestTrial!: TrialDto | null;
  @ApiProperty({ type: [TrialDto], description: 'Feasible Pareto front (best trials)' })
  paretoFront!: TrialDto[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
}

export class StudySummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: STUDY_STATUSES }) status!: string;
  @ApiProperty({ type: [String] }) directions!: string[];
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) jobId!: string | null;
  @ApiProperty() trials!: number;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
}

export class StudyListDto {
  @ApiProperty({ type: [StudySummaryDto] }) items!: StudySummaryDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class TrialListDto {
  @ApiProperty({ type: [TrialDto] }) items!: TrialDto[];
  @ApiProperty() total!: number;
}

export class AskResponseDto {
  @ApiProperty() number!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { x: 1.3, opt: 'adam' } })
  params!: Record<string, unknown>;
}

export class ReportResponseDto {
  @ApiProperty() shouldPrune!: boolean;
}

export class ValidationProblemDto {
  @ApiProperty({ example: 'space.lr.low' }) field!: string;
  @ApiProperty({ example: 'must be > 0 for a log distribution, got 0' }) message!: string;
}

export class ValidateResponseDto {
  @ApiProperty() valid!: boolean;
  @ApiProperty({ type: [ValidationProblemDto] }) problems!: ValidationProblemDto[];
}

export class ImportanceDto {
  @ApiProperty({ example: 0 }) objective!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { lr: 0.8, layers: 0.2 },
    description: 'Share of the explained variance per parameter (sums to 1)',
  })
  importance!: Record<string, number>;
  @ApiProperty({ example: 'random-forest permutation importance (docs/search.md)' })
  method!: string;
}
