/** Query parameters of the studies routes and the bodies of tell / report. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  Max,
  Min,
} from 'class-validator';
import { PageQuery, QueryInt } from '../../platform/http/query';
import { STUDY_STATUSES, StudyStatus } from '../storage/entities';
import { TRIAL_STATES } from '../core/trial';

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
