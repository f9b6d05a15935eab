import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { packagedDatasetNames } from '../ml/data/packaged';
import { ZOO_MODEL_NAMES } from '../ml/zoo/zoo';
import { METHOD_NAMES } from '../transfer/core/method';
import { DatasetEntity } from '../datasets/dataset.entity';
import { QueryInt } from '../platform/http/query';
import { ModelEntity } from './model.entity';
import { UserKeyed } from '../platform/http/user-keyed';
import { ReferenceField } from './reference.decorator';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const NAME_MESSAGE =
  'must be 1-100 letters, digits, ".", "_" or "-" starting with a letter or digit';

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
  @Matches(NAME, { message: `name ${NAME_MESSAGE}` })
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
  @ApiProperty({ enum: ['upload', 'packaged'] }) source!: string;
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
      stats: { ...e.stats },
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

export class DatasetListDto {
  @ApiProperty({ type: [DatasetDto] }) items!: DatasetDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

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
      lineage: {
        baseModelId: e.baseModelId,
        datasetId: e.datasetId,
        method: e.method,
        jobId: e.jobId,
      },
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
  @Matches(NAME, { message: `name ${NAME_MESSAGE}` })
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

export class PretrainDto {
  @ReferenceField('data set', 'The data set to train on')
  dataset!: string;

  @ApiProperty({ enum: ZOO_MODEL_NAMES, example: 'small-cnn' })
  @IsIn(ZOO_MODEL_NAMES)
  architecture!: string;

  @ApiPropertyOptional({ description: 'Registered model name (default <architecture>-<job id>)' })
  @IsOptional()
  @IsString()
  @Matches(NAME, { message: `name ${NAME_MESSAGE}` })
  name?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 5 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  epochs?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 4096, default: 32 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(4096)
  batchSize?: number;

  @ApiPropertyOptional({ default: 0.001 })
  @IsOptional()
  @IsNumber()
  @Min(1e-8)
  @Max(10)
  learningRate?: number;

  @ApiPropertyOptional({ enum: ['sgd', 'momentum', 'adam'], default: 'adam' })
  @IsOptional()
  @IsIn(['sgd', 'momentum', 'adam'])
  optimizer?: string;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(0xffffffff)
  seed?: number;

  @ApiPropertyOptional({
    default: 0,
    description: 'Stop after this many epochs without a better val_loss',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  earlyStoppingPatience?: number;

  @ApiPropertyOptional({ description: 'Zoo width (base channels)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1024)
  width?: number;

  @ApiPropertyOptional({ type: [Number], description: 'MLP hidden sizes' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(8)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(4096, { each: true })
  hidden?: number[];

  @ApiPropertyOptional({ description: 'Text: embedding size' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1024)
  embeddingDim?: number;

  @ApiPropertyOptional({ description: 'Text: LSTM units (0 = average pooling)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1024)
  lstmUnits?: number;

  @ApiPropertyOptional({ description: 'Text: vocabulary size cap', default: 10000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200_000)
  maxWords?: number;

  @ApiPropertyOptional({ description: 'Text: padded sequence length', default: 64 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(4096)
  sequenceLength?: number;
}

export class FinetuneDto {
  @ReferenceField('model', 'The base (pretrained or imported) model')
  baseModel!: string;

  @ReferenceField('data set', 'The target data set')
  dataset!: string;

  @ApiPropertyOptional({
    description: `${METHOD_NAMES.join(', ')}, any valid + combination, or auto`,
    example: 'delta',
    default: 'auto',
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  method?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, default: 10 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  epochs?: number;

  @ApiPropertyOptional({ description: 'Registered model name (default <base>-<method>-<job id>)' })
  @IsOptional()
  @IsString()
  @Matches(NAME, { message: `name ${NAME_MESSAGE}` })
  name?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'Other hyper-parameters (docs/transfer.md): alpha, beta, temperature, hookLayers, attentionBatches, headEpochs, rifle {periods, fraction, headLr}, freeze, batchSize, learningRate, optimizer, lrSchedule, lrStepEpochs, lrGamma, earlyStoppingPatience, seed',
    example: { alpha: 0.01, freeze: 'none', lrSchedule: 'cosine', earlyStoppingPatience: 3 },
  })
  @IsOptional()
  @UserKeyed()
  @IsObject()
  hyperParameters?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'Image augmentations, e.g. [{"name":"flip"},{"name":"rotate","maxDegrees":10}]',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsObject({ each: true })
  augment?: Record<string, unknown>[];

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 10,
    description: 'Training-set copies with augmentation (default 2 with augment)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  augmentCopies?: number;

  @ApiPropertyOptional({
    default: false,
    description: 'Store per-sample training dynamics as dynamics.json',
  })
  @IsOptional()
  @IsBoolean()
  recordDynamics?: boolean;
}
