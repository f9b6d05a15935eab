/** What the studies routes answer (the OpenAPI schemas of the `studies` tag). */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STUDY_STATUSES } from '../storage/entities';
import { TRIAL_STATES } from '../core/trial';

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
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'gp',
    description: 'The sampler the auto sampler chose for this trial (null for other samplers)',
  })
  sampler!: string | null;
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
    description:
      'The seed the sampler runs with (the one asked for or a random one); pass it to reproduce the study',
  })
  seed!: number;
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
