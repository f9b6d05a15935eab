import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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
} from 'class-validator';
import { REGISTRY_NAME, REGISTRY_NAME_RULE } from '../datasets/core/names';
import { ZOO_MODEL_NAMES } from '../ml/zoo/zoo';
import { UserKeyed } from '../platform/http/user-keyed';
import { ReferenceField } from '../registry/reference.decorator';
import { METHOD_NAMES } from './core/method';

export class PretrainDto {
  @ReferenceField('data set', 'The data set to train on')
  dataset!: string;

  @ApiProperty({ enum: ZOO_MODEL_NAMES, example: 'small-cnn' })
  @IsIn(ZOO_MODEL_NAMES)
  architecture!: string;

  @ApiPropertyOptional({ description: 'Registered model name (default <architecture>-<job id>)' })
  @IsOptional()
  @IsString()
  @Matches(REGISTRY_NAME, { message: `name ${REGISTRY_NAME_RULE}` })
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
  @Matches(REGISTRY_NAME, { message: `name ${REGISTRY_NAME_RULE}` })
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
