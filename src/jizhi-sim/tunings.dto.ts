import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TUNE_SAMPLERS } from './core/tune/tune-samplers';
import { SimJobDto } from './sim-job.dto';

/* What /v1/tunings answers (the request is the `tune` job schema, sim-specs.schema.ts). */

/* ---- the result (documentation of what GET returns once the job succeeded) ---- */

export class ConfigEvaluationDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { 'dnn.instances': 2, 'dnn.batch.maxSize': 16 },
  })
  params!: Record<string, number>;
  @ApiProperty({
    description:
      'Price per hour: instances and cache memory (instance count when nothing has a price)',
  })
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
  @ApiProperty({ description: 'Distinct configurations tried (the budget counts these)' })
  trials!: number;
  @ApiProperty() simulations!: number;
  @ApiProperty({
    description: 'Configurations the sampler proposed, repeats included (a repeat costs nothing)',
  })
  proposals!: number;
  @ApiProperty({ description: 'Every configuration of a finite space was tried' })
  spaceExhausted!: boolean;
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
