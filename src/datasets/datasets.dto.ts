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
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { packagedDatasetNames } from '../ml/data/packaged';
import { QueryInt } from '../platform/http/query';
import { UserKeyed } from '../platform/http/user-keyed';
import { REGISTRY_NAME, REGISTRY_NAME_RULE } from './core/names';
import { DatasetEntity } from './dataset.entity';

/** `limit` (1-500, default 50) and `offset` of the data set and model lists. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  offset?: number;
}

export class SplitDto {
  @ApiProperty({ minimum: 0, maximum: 1, example: 0.7 })
  @IsNumber()
  @Min(0)
  @Max(1)
  train!: number;

  @ApiProperty({ minimum: 0, maximum: 1, example: 0.15 })
  @IsNumber()
  @Min(0)
  @Max(1)
  validation!: number;

  @ApiProperty({ minimum: 0, maximum: 1, example: 0.15 })
  @IsNumber()
  @Min(0)
  @Max(1)
  test!: number;
}

/** JSON body of POST /v1/datasets: register a packaged data set. */
export class PackagedDatasetDto {
  @ApiProperty({ enum: packagedDatasetNames(), example: 'iris' })
  @IsIn(packagedDatasetNames())
  packaged!: string;

  @ApiPropertyOptional({
    description: 'Registered name (default: the packaged name)',
    example: 'iris',
  })
  @IsOptional()
  @IsString()
  @Matches(REGISTRY_NAME, { message: `name ${REGISTRY_NAME_RULE}` })
  name?: string;

  @ApiPropertyOptional({
    description: 'Keep these classes (names or indices), relabelled 0..k-1 in this order',
    example: [0, 1, 2, 3, 4],
    type: 'array',
    items: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(1000)
  classes?: (string | number)[];

  @ApiPropertyOptional({
    description: 'Merge or rename classes: {oldName: newName}',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { Sandal: 'footwear', Sneaker: 'footwear' },
  })
  @IsOptional()
  @UserKeyed()
  @IsObject()
  remap?: Record<string, string>;

  @ApiPropertyOptional({
    description:
      'Few-shot: keep this many training examples per class. Applied to the train split only, ' +
      'after the split: validation and test keep every example, so the evaluation stays measured ' +
      'on full-size sets (docs/data.md)',
    minimum: 1,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  perClass?: number;

  @ApiPropertyOptional({
    type: SplitDto,
    description:
      'Stratified split fractions (default 0.7/0.15/0.15; sets with an official test split keep it and carve 10% validation from train)',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => SplitDto)
  split?: SplitDto;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(0xffffffff)
  seed?: number;
}

/** Documentation of the multipart form of POST /v1/datasets (parsed by the service). */
export const DATASET_UPLOAD_SCHEMA = {
  type: 'object',
  required: ['file', 'name'],
  properties: {
    file: {
      type: 'string',
      format: 'binary',
      description: 'zip of class folders of PNG/JPEG, CSV, or JSONL {text,label}',
    },
    name: { type: 'string', example: 'shapes' },
    kind: {
      type: 'string',
      enum: ['image', 'tabular', 'text'],
      description: 'default: from the file extension',
    },
    labelColumn: { type: 'string', description: 'CSV: label column name or index (default: last)' },
    resize: {
      type: 'string',
      example: '28x28:bilinear',
      description: 'images: resize every image (else all must have one size)',
    },
    channels: {
      type: 'string',
      enum: ['1', '3'],
      description: 'images: default 1 when every image is gray',
    },
    split: {
      type: 'string',
      example: '0.7,0.15,0.15',
      description: 'train,validation,test fractions or JSON',
    },
    seed: { type: 'string', example: '0' },
  },
};

export class DatasetDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['image', 'tabular', 'text'] }) kind!: string;
  @ApiProperty({
    enum: ['upload', 'packaged', 'derived'],
    description: 'derived: made from registered data sets (options.derivedFrom)',
  })
  source!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) options!: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'size, classNames, countsPerClass, imageShape / featureCount / meanTokens',
  })
  stats!: Record<string, unknown>;
  @ApiProperty({ example: { train: 70, validation: 15, test: 15 } })
  splitSizes!: { train: number; validation: number; test: number };
  @ApiProperty({ description: 'Bytes of the stored data set file' }) fileSize!: number;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;

  static from(e: DatasetEntity): DatasetDto {
    return {
      id: e.id,
      name: e.name,
      kind: e.kind,
      source: e.source,
      options: e.options,
      stats: { ...e.stats, countsPerClass: inClassOrder(e.stats) },
      splitSizes: { train: e.trainSize, validation: e.validationSize, test: e.testSize },
      fileSize: Number(e.fileSize),
      createdAt: e.createdAt,
    };
  }
}

export class DatasetExampleDto {
  @ApiProperty({ description: 'Index into the whole data set' }) index!: number;
  @ApiProperty() label!: number;
  @ApiProperty() className!: string;
  @ApiProperty({ enum: ['train', 'validation', 'test'] }) split!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'number' } })
  features?: Record<string, number>;
  @ApiPropertyOptional() text?: string;
}

export class DatasetExamplesDto {
  @ApiProperty({ format: 'uuid' }) dataset!: string;
  @ApiProperty({ enum: ['image', 'tabular', 'text'] }) kind!: string;
  @ApiProperty({ type: [DatasetExampleDto] }) items!: DatasetExampleDto[];
}

/** GET /v1/datasets/packaged: one packaged set, and whether this machine has its files. */
export class PackagedCatalogEntryDto {
  @ApiProperty({ example: 'iris' }) name!: string;
  @ApiProperty({ example: 'Fisher iris: 150 examples, 4 features, 3 classes' })
  description!: string;
  @ApiProperty({ description: 'Its files are on this machine: it can be registered now' })
  installed!: boolean;
  @ApiProperty({ description: 'What an operator installs to add it (packages, not downloads)' })
  install!: string;
}

export class PackagedCatalogDto {
  @ApiProperty({ type: [PackagedCatalogEntryDto] }) items!: PackagedCatalogEntryDto[];
}

export class DatasetListDto {
  @ApiProperty({ type: [DatasetDto] }) items!: DatasetDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

/**
 * The per-class counts keyed in class order. PostgreSQL's jsonb keeps an object's keys sorted by
 * length, so a stored `{"T-shirt/top": 1, "Trouser": 1, "Dress": 1}` came back with Dress first,
 * and every list and chart of classes was out of order. (Keys that look like integers still come
 * first in numeric order: JavaScript objects order them so.)
 */
function inClassOrder(stats: DatasetEntity['stats']): Record<string, number> {
  const counts = stats.countsPerClass;
  return Object.fromEntries([
    ...stats.classNames.filter((c) => Object.hasOwn(counts, c)).map((c) => [c, counts[c]]),
    // Anything not named in classNames (never expected) keeps its place after them.
    ...Object.entries(counts).filter(([c]) => !stats.classNames.includes(c)),
  ]);
}
