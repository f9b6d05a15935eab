import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { DatasetDto } from '../datasets/datasets.dto';
import { REGISTRY_NAME, REGISTRY_NAME_RULE } from '../datasets/core/names';

export const SITE_SPLIT_KINDS = ['iid', 'dirichlet', 'classes'] as const;

/** Body of `POST /v1/datasets/:ref/site-split` (docs/collab.md, "Splitting a data set into sites"). */
export class SiteSplitDto {
  @ApiProperty({ minimum: 2, maximum: 32, example: 4, description: 'How many site data sets' })
  @IsInt()
  @Min(2)
  @Max(32)
  sites!: number;

  @ApiPropertyOptional({
    enum: SITE_SPLIT_KINDS,
    default: 'iid',
    description:
      'iid: a shuffle dealt round-robin; dirichlet: label skew, per class p ~ Dir(alpha) over the sites (Hsu, Qi & Brown 2019); classes: disjoint class subsets',
  })
  @IsOptional()
  @IsIn(SITE_SPLIT_KINDS)
  split?: (typeof SITE_SPLIT_KINDS)[number];

  @ApiPropertyOptional({
    minimum: 0.001,
    maximum: 1000,
    default: 0.5,
    description: 'dirichlet: the concentration (small: strong skew)',
  })
  @IsOptional()
  @IsNumber()
  @Min(0.001)
  @Max(1000)
  alpha?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(0xffffffff)
  seed?: number;

  @ApiPropertyOptional({
    description: 'The sites are named <prefix>-1 ... <prefix>-N (default: <data set>-site)',
    example: 'fashion-site',
  })
  @IsOptional()
  @IsString()
  @Matches(REGISTRY_NAME, { message: `prefix ${REGISTRY_NAME_RULE}` })
  prefix?: string;
}

export class SiteSplitResultDto {
  @ApiProperty({ type: [DatasetDto], description: 'The site data sets, site 1 first' })
  items!: DatasetDto[];
}
