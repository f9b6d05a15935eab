import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { REGISTRY_NAME, REGISTRY_NAME_RULE } from '../datasets/core/names';
import { ZOO_MODEL_NAMES } from '../ml/zoo/zoo';
import { modelLineage } from './core/lineage';
import { ModelEntity } from './model.entity';

export class LineageDto {
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) baseModelId!:
    string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) datasetId!: string | null;
  @ApiProperty({
    example: 'dtnh+l2sp',
    description: 'pretrain, a fine-tuning method, import or init',
  })
  method!: string;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) jobId!: string | null;
  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description:
      'Federated global models (method collab-*, docs/collab.md) only: every local site’s data set, by id',
  })
  siteDatasetIds?: string[];
  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description:
      'Federated global models only: the shared labelled set every site trained on (sharedDataset), or null',
  })
  sharedDatasetId?: string | null;
}

export class LayerSummaryDto {
  @ApiProperty() name!: string;
  @ApiProperty() className!: string;
  @ApiProperty({ type: 'array', items: { type: 'integer', nullable: true } }) outputShape!: (
    number | null
  )[];
  @ApiProperty() params!: number;
  @ApiProperty() flops!: number;
}

export class ModelDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'small-cnn' }) architecture!: string;
  @ApiProperty({ type: [LayerSummaryDto] }) summary!: LayerSummaryDto[];
  @ApiProperty() params!: number;
  @ApiProperty({ description: 'FLOPs of one forward pass (2 per multiply-add)' }) flops!: number;
  @ApiProperty({ enum: ['image', 'tabular', 'text'] }) inputKind!: string;
  @ApiProperty({ type: [Number], example: [28, 28, 1] }) inputShape!: number[];
  @ApiProperty({ type: [String] }) classNames!: string[];
  @ApiPropertyOptional({ type: [String], nullable: true }) featureNames!: string[] | null;
  @ApiProperty({ type: LineageDto }) lineage!: LineageDto;
  @ApiProperty({ type: 'object', additionalProperties: true }) metrics!: Record<string, unknown>;
  @ApiPropertyOptional({ nullable: true, description: 'Test accuracy, when evaluated' })
  testAccuracy!: number | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;

  static from(e: ModelEntity): ModelDto {
    const accuracy = e.evaluation?.accuracy;
    return {
      id: e.id,
      name: e.name,
      architecture: e.architecture,
      summary: e.summary,
      params: Number(e.params),
      flops: e.flops,
      inputKind: e.inputKind,
      inputShape: e.inputShape,
      classNames: e.classNames,
      featureNames: e.featureNames,
      lineage: modelLineage(e),
      metrics: e.metrics,
      testAccuracy: typeof accuracy === 'number' ? accuracy : null,
      createdAt: e.createdAt,
    };
  }
}

export class ModelListDto {
  @ApiProperty({ type: [ModelDto] }) items!: ModelDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class ModelFileDto {
  @ApiProperty({ example: 'weights.bin' }) name!: string;
  @ApiProperty() size!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty({ example: 'application/octet-stream' }) contentType!: string;
  @ApiProperty({ example: '/v1/models/6f1c.../files/weights.bin' }) url!: string;
}

export class ModelFileListDto {
  @ApiProperty({ format: 'uuid' }) model!: string;
  @ApiProperty({
    type: [ModelFileDto],
    description: 'model.json, weights.bin, vocabulary.json (text models) and model-card.json',
  })
  files!: ModelFileDto[];
}

export class EvaluationDto {
  @ApiProperty({ format: 'uuid' }) model!: string;
  @ApiProperty({ example: 'test' }) split!: string;
  @ApiProperty() count!: number;
  @ApiProperty() accuracy!: number;
  @ApiProperty() loss!: number;
  @ApiProperty({ type: [String] }) classNames!: string[];
  @ApiProperty({
    type: 'array',
    items: { type: 'number', nullable: true },
    description: 'null: class never predicted',
  })
  precision!: (number | null)[];
  @ApiProperty({
    type: 'array',
    items: { type: 'number', nullable: true },
    description: 'null: class absent',
  })
  recall!: (number | null)[];
  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: { type: 'integer' } },
    description: 'confusion[true][predicted]',
  })
  confusion!: number[][];
}

/** JSON body of POST /v1/models: initialise a zoo architecture as a base model. */
export class InitModelDto {
  @ApiProperty({ example: 'cnn-base' })
  @IsString()
  @Matches(REGISTRY_NAME, { message: `name ${REGISTRY_NAME_RULE}` })
  name!: string;

  @ApiProperty({ enum: ZOO_MODEL_NAMES.filter((n) => n !== 'text-classifier') })
  @IsIn(ZOO_MODEL_NAMES.filter((n) => n !== 'text-classifier'))
  architecture!: string;

  @ApiProperty({
    type: [Number],
    example: [28, 28, 1],
    description: '[h, w, c] images or [features]',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(4096, { each: true })
  inputShape!: number[];

  @ApiProperty({ type: [String], example: ['cat', 'dog'] })
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  classNames!: string[];

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  featureNames?: string[];

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(0xffffffff)
  seed?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 256 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(256)
  width?: number;

  @ApiPropertyOptional({ type: [Number], example: [64, 32] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(8)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(4096, { each: true })
  hidden?: number[];
}

export const MODEL_IMPORT_SCHEMA = {
  type: 'object',
  required: ['name', 'model.json'],
  properties: {
    name: { type: 'string' },
    'model.json': {
      type: 'string',
      format: 'binary',
      description: 'TF.js layers-model topology + weights manifest',
    },
    weights: {
      type: 'array',
      items: { type: 'string', format: 'binary' },
      description:
        'the weight files named in the manifest (any field name; the file name must match)',
    },
    inputKind: { type: 'string', enum: ['image', 'tabular'] },
    classNames: { type: 'string', description: 'JSON list or comma-separated' },
    featureNames: { type: 'string', description: 'tabular: JSON list or comma-separated' },
  },
};

export class PredictDto {
  @ApiPropertyOptional({
    description: 'Image models: base64 PNG/JPEG strings or flat HWC pixel arrays in [0, 1]',
    type: 'array',
    items: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'number' } }] },
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1024)
  images?: unknown[];

  @ApiPropertyOptional({
    description: 'Tabular models: rows of feature values',
    type: 'array',
    items: { type: 'array', items: { type: 'number' } },
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1024)
  rows?: unknown[];

  @ApiPropertyOptional({ description: 'Text models: raw texts', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1024)
  texts?: unknown[];
}

export class PredictionDto {
  @ApiProperty() label!: string;
  @ApiProperty() classIndex!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) probabilities!: Record<
    string,
    number
  >;
}

export class PredictResponseDto {
  @ApiProperty({ format: 'uuid' }) model!: string;
  @ApiProperty({ type: [PredictionDto] }) predictions!: PredictionDto[];
}

export class BundleModelDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'small-cnn' }) architecture!: string;
  @ApiProperty() params!: number;
  @ApiProperty({ description: 'FLOPs of one forward pass (src/ml/flops.ts convention)' })
  flops!: number;
}

export class BundleInputDto {
  @ApiProperty({ enum: ['image', 'tabular', 'text'] }) kind!: string;
  @ApiProperty({
    type: [Number],
    description: '[h, w, c] images (HWC pixels in [0, 1]) or [features]',
  })
  shape!: number[];
  @ApiProperty({ type: [String], nullable: true }) featureNames!: string[] | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'tabular z-score (normalise.mean/std), text sequenceLength',
  })
  preprocessing!: object;
}

export class BundleVariantDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() params!: number;
  @ApiProperty() flops!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'test-split accuracy' })
  accuracy!: number | null;
  @ApiProperty({ example: '/v1/models/<id>/bundle' }) bundle!: string;
}

/** GET /v1/models/:id/bundle: the export bundle manifest packages/edge loads. */
export class BundleManifestDto {
  @ApiProperty({ enum: ['autodl-edge-bundle/1'] }) format!: string;
  @ApiProperty({ type: BundleModelDto }) model!: BundleModelDto;
  @ApiProperty({ type: [String], description: 'class names, in output order' }) labels!: string[];
  @ApiProperty({ type: BundleInputDto }) input!: BundleInputDto;
  @ApiProperty({ type: [ModelFileDto], description: 'download routes, sizes and sha256' })
  files!: ModelFileDto[];
  @ApiProperty({
    type: [BundleVariantDto],
    description: 'pruned models registered from this one (prune jobs), for small devices',
  })
  variants!: BundleVariantDto[];
}
