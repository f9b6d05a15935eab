/** The body of POST /v1/studies and /v1/studies:validate (parsed by core/config/study-config.ts). */
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
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { UserKeyed } from '../../platform/http/user-keyed';

export class AlgorithmDto {
  @ApiProperty({
    example: 'auto',
    description:
      'Registered name, e.g. auto (default), gp, tpe, cmaes, nsga2, nsga3 (docs/search.md)',
  })
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

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 2147483647,
    description:
      "The sampler's seed (same as sampler.settings.seed); default: a random seed, recorded on the study (`seed`) so it can be reproduced",
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  seed?: number;

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

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "A study of this project whose complete trials seed this study's sampler as prior observations (GP and auto samplers; not counted as this study's trials)",
  })
  @IsOptional()
  @IsUUID()
  warmStartFrom?: string;

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
