import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
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
  ValidateNested,
} from 'class-validator';
import { UserKeyed } from '../platform/http/user-keyed';
import { TUNE_EXAMPLE } from './api-examples';
import { TUNABLE_PARAMS, TunableParam } from './core/tune/tune-spec';
import { TUNE_SAMPLERS } from './core/tune/tune-samplers';
import { FINITE, PIPELINE_PROPERTY, SimJobDto, TRAFFIC_DESCRIPTION } from './sim-job.dto';

/* Wire types of /v1/tunings: the request (SLO, search space, budget) and the result. */

const MAX_SEED = 2 ** 31 - 1;

export class SloDto {
  @ApiProperty({ description: 'p99 latency target (ms)', example: 40 })
  @IsNumber(FINITE)
  p99Ms!: number;

  @ApiPropertyOptional({
    description: 'Largest acceptable drop rate',
    default: 0.001,
    example: TUNE_EXAMPLE.slo.maxDropRate,
  })
  @IsOptional()
  @IsNumber(FINITE)
  maxDropRate?: number;

  @ApiPropertyOptional({
    description: 'Largest acceptable mean accuracy penalty (feature cut-off)',
    default: 1,
  })
  @IsOptional()
  @IsNumber(FINITE)
  maxAccuracyPenalty?: number;
}

export class SpaceEntryDto {
  @ApiProperty({ description: 'A stage id of the pipeline', example: 'dnn' })
  @IsString()
  @MaxLength(256)
  stage!: string;

  @ApiProperty({ enum: TUNABLE_PARAMS, example: 'instances' })
  @IsIn(TUNABLE_PARAMS)
  param!: TunableParam;

  @ApiPropertyOptional({ type: [Number], description: 'Explicit values (instead of low/high)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsNumber(FINITE, { each: true })
  values?: number[];

  @ApiPropertyOptional({ example: 1 })
  @IsOptional()
  @IsNumber(FINITE)
  low?: number;

  @ApiPropertyOptional({ example: 8 })
  @IsOptional()
  @IsNumber(FINITE)
  high?: number;

  @ApiPropertyOptional({ description: 'Grid step of the range' })
  @IsOptional()
  @IsNumber(FINITE)
  step?: number;
}

export class BudgetDto {
  @ApiProperty({ description: 'Configurations to try', example: 60 })
  @IsInt()
  trials!: number;
}

export class CreateTuningDto {
  @ApiProperty(PIPELINE_PROPERTY)
  @UserKeyed()
  @IsObject()
  pipeline!: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: TRAFFIC_DESCRIPTION,
    example: TUNE_EXAMPLE.traffic,
  })
  @UserKeyed()
  @IsObject()
  traffic!: Record<string, unknown>;

  // A bare $ref (no sibling keywords such as an example, which would make Nest emit an `allOf`
  // without a `type`): clients and the fuzz test resolve it to the object schema.
  @ApiProperty({ type: SloDto })
  @IsObject()
  @ValidateNested()
  @Type(() => SloDto)
  slo!: SloDto;

  @ApiProperty({
    type: [SpaceEntryDto],
    description: 'Search dimensions: per stage, a tunable parameter with values or low/high',
    example: TUNE_EXAMPLE.space,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => SpaceEntryDto)
  space!: SpaceEntryDto[];

  @ApiProperty({ type: BudgetDto })
  @IsObject()
  @ValidateNested()
  @Type(() => BudgetDto)
  budget!: BudgetDto;

  @ApiPropertyOptional({
    description: 'Simulation seeds per configuration (metrics averaged)',
    default: 3,
    example: TUNE_EXAMPLE.seeds,
  })
  @IsOptional()
  @IsInt()
  seeds?: number;

  @ApiPropertyOptional({
    enum: TUNE_SAMPLERS,
    description: 'Default tpe (min-cost) or nsga2 (pareto)',
  })
  @IsOptional()
  @IsIn(TUNE_SAMPLERS)
  sampler?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Settings of the sampler, e.g. {"nStartupTrials": 20}',
  })
  @IsOptional()
  @UserKeyed()
  @IsObject()
  samplerOptions?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Seeds the sampler (default: seed)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SEED)
  samplerSeed?: number;

  @ApiPropertyOptional({ enum: ['min-cost', 'pareto'], default: 'min-cost' })
  @IsOptional()
  @IsIn(['min-cost', 'pareto'])
  objective?: string;

  @ApiPropertyOptional({ description: 'Simulated seconds per run', default: 60, example: 30 })
  @IsOptional()
  @IsNumber(FINITE)
  durationS?: number;

  @ApiPropertyOptional({ description: 'Warm-up removed from each run (s)', example: 3 })
  @IsOptional()
  @IsNumber(FINITE)
  warmupS?: number;

  @ApiPropertyOptional({ description: 'Seeds the simulations', default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SEED)
  seed?: number;
}

/* ---- the result (documentation of what GET returns once the job succeeded) ---- */

export class ConfigEvaluationDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { 'dnn.instances': 2, 'dnn.batch.maxSize': 16 },
  })
  params!: Record<string, number>;
  @ApiProperty({ description: 'Price per hour (instance count when no stage has a price)' })
  cost!: number;
  @ApiProperty() instances!: number;
  @ApiProperty() p99Ms!: number;
  @ApiProperty() dropRate!: number;
  @ApiProperty() accuracyPenalty!: number;
  @ApiProperty() feasible!: boolean;
  @ApiProperty() unstable!: boolean;
}

export class TuneTrialDto extends ConfigEvaluationDto {
  @ApiProperty() trial!: number;
  @ApiProperty({ description: 'Simulations run so far' }) simulations!: number;
}

export class TuneResultDto {
  @ApiProperty({ enum: ['min-cost', 'pareto'] }) objective!: string;
  @ApiProperty({ enum: TUNE_SAMPLERS }) sampler!: string;
  @ApiProperty() trials!: number;
  @ApiProperty() simulations!: number;
  @ApiPropertyOptional({
    type: ConfigEvaluationDto,
    nullable: true,
    description: 'Cheapest feasible configuration; null when none met the SLO',
  })
  best!: ConfigEvaluationDto | null;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The pipeline with the best parameters applied',
  })
  bestPipeline!: Record<string, unknown> | null;
  @ApiProperty({ type: ConfigEvaluationDto, description: 'The submitted configuration' })
  current!: ConfigEvaluationDto;
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: 'Cost saved vs the current config (fraction; negative = dearer)',
  })
  savingVsCurrent!: number | null;
  @ApiProperty({ type: [ConfigEvaluationDto], description: 'Cost vs p99, cheapest first' })
  paretoFront!: ConfigEvaluationDto[];
  @ApiProperty({ type: [TuneTrialDto] }) history!: TuneTrialDto[];
}

export class TuningDto extends SimJobDto {
  @ApiPropertyOptional({
    type: TuneResultDto,
    nullable: true,
    description: 'Set when the tuning succeeded',
  })
  result!: TuneResultDto | null;
}
