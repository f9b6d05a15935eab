import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { QueryInt } from '../../platform/http/query';
import { TRIAL_SORTS } from '../storage/study-analytics.repository';

export class ObjectiveQuery {
  @ApiPropertyOptional({ minimum: 0, maximum: 7, default: 0, description: 'Objective index' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(7)
  objective?: number;
}

export class PointsQuery extends ObjectiveQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 5000, default: 500 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(5000)
  points?: number;
}

export class ContourQuery extends ObjectiveQuery {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) x!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) y!: string;
  @ApiPropertyOptional({
    minimum: 2,
    maximum: 100,
    default: 30,
    description:
      'Bins per numeric axis; a categorical axis has one per choice, and an int (or stepped) one with no more values than this one per value',
  })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(2)
  @Max(100)
  bins?: number;
}

export class ParallelQuery extends ObjectiveQuery {
  @ApiPropertyOptional({ minimum: 0, maximum: 1000, default: 100, description: 'Best trials' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(1000)
  top?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 5000, default: 400, description: 'Uniform sample' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(5000)
  sample?: number;
}

export class LimitQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 2000, default: 200 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(2000)
  limit?: number;
}

export class TrialPageQueryDto extends ObjectiveQuery {
  @ApiPropertyOptional({ enum: TRIAL_SORTS, default: 'number' })
  @IsOptional()
  @IsIn(TRIAL_SORTS)
  sort?: (typeof TRIAL_SORTS)[number];

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({
    description:
      'Clauses separated by ";": state=complete, number>=10, value<0.5, value1>=2, params.lr<=0.01, params.opt=adam',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  filter?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 50 })
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
  @Max(10_000_000)
  offset?: number;
}

export class CreateNoteDto {
  @ApiProperty({ maxLength: 10000 }) @IsString() @MinLength(1) @MaxLength(10000) body!: string;
  @ApiPropertyOptional({ description: 'Trial number; absent for a note on the study' })
  @IsOptional()
  @IsInt()
  @Min(0)
  trial?: number;
}
