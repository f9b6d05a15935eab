import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, IsObject, IsOptional, Max, Min } from 'class-validator';
import { UserKeyed } from '../platform/http/user-keyed';
import { SIMULATE_EXAMPLE } from './api-examples';
import { FINITE, PIPELINE_PROPERTY, SimJobDto, TRAFFIC_DESCRIPTION } from './sim-job.dto';

/* Wire types of /v1/simulations (and simulations:validate): the request and the result. */

export class CreateSimulationDto {
  @ApiProperty(PIPELINE_PROPERTY)
  @UserKeyed()
  @IsObject()
  pipeline!: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: TRAFFIC_DESCRIPTION,
    example: SIMULATE_EXAMPLE.traffic,
  })
  @UserKeyed()
  @IsObject()
  traffic!: Record<string, unknown>;

  @ApiProperty({
    description: 'Arrivals are generated in [0, durationS); requests in flight then drain',
    example: 60,
    exclusiveMinimum: true,
    minimum: 0,
  })
  @IsNumber(FINITE)
  durationS!: number;

  @ApiPropertyOptional({
    description: 'Statistics ignore requests arriving before warmupS (< durationS)',
    default: 0,
    example: SIMULATE_EXAMPLE.warmupS,
  })
  @IsOptional()
  @IsNumber(FINITE)
  warmupS?: number;

  @ApiPropertyOptional({
    description: 'Simulation seed; the same seed gives byte-identical results',
    default: 0,
    example: SIMULATE_EXAMPLE.seed,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seed?: number;
}

/* ---- the result (documentation of what GET returns once the job succeeded) ---- */

export class LatencySummaryDto {
  @ApiProperty() count!: number;
  @ApiProperty() mean!: number;
  @ApiProperty() p50!: number;
  @ApiProperty() p90!: number;
  @ApiProperty() p99!: number;
  @ApiProperty() p999!: number;
  @ApiProperty() max!: number;
}

export class LatencyHistogramDto {
  @ApiProperty({ type: [Number], description: '41 log-spaced bin edges (ms)' }) edgesMs!: number[];
  @ApiProperty({ type: [Number] }) counts!: number[];
}

export class RequestCountsDto {
  @ApiProperty() arrived!: number;
  @ApiProperty() completed!: number;
  @ApiProperty() dropped!: number;
  @ApiProperty() dropRate!: number;
}

export class BatchSizeCountDto {
  @ApiProperty() size!: number;
  @ApiProperty() count!: number;
}

export class StageResultDto {
  @ApiProperty() id!: string;
  @ApiProperty() instances!: number;
  @ApiProperty() costPerHour!: number;
  @ApiProperty() visits!: number;
  @ApiProperty({ type: Number, nullable: true }) cacheHitRatio!: number | null;
  @ApiProperty() dropped!: number;
  @ApiProperty({ description: 'Busy fraction of the instances' }) utilisation!: number;
  @ApiProperty({ description: 'Offered load / capacity at full batches' })
  predictedUtilisation!: number;
  @ApiProperty() meanQueueLength!: number;
  @ApiProperty() maxQueueLength!: number;
  @ApiProperty() meanWaitMs!: number;
  @ApiProperty() waitedFraction!: number;
  @ApiProperty() batches!: number;
  @ApiProperty() meanBatchSize!: number;
  @ApiProperty({ type: [BatchSizeCountDto] }) batchSizes!: BatchSizeCountDto[];
  @ApiProperty({ description: 'Fraction of batches served with features cut off' })
  cutoffFraction!: number;
}

export class QueueLengthsDto {
  @ApiProperty({ type: [Number] }) timesS!: number[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'number' } },
    description: 'Queue length samples per stage id',
  })
  byStage!: Record<string, number[]>;
}

export class CostDto {
  @ApiProperty() instances!: number;
  @ApiProperty() perHour!: number;
}

export class WindowDto {
  @ApiProperty() startS!: number;
  @ApiProperty() endS!: number;
}

export class LittleLawDto {
  @ApiProperty() L!: number;
  @ApiProperty() lambda!: number;
  @ApiProperty() W!: number;
  @ApiProperty() relativeError!: number;
}

export class SimulationResultDto {
  @ApiProperty() pipeline!: string;
  @ApiProperty() seed!: number;
  @ApiProperty({ type: WindowDto }) window!: WindowDto;
  @ApiProperty({ type: RequestCountsDto }) requests!: RequestCountsDto;
  @ApiProperty() throughputRps!: number;
  @ApiProperty({ type: LatencySummaryDto }) latencyMs!: LatencySummaryDto;
  @ApiProperty({ type: LatencyHistogramDto }) latencyHistogram!: LatencyHistogramDto;
  @ApiProperty({ type: [StageResultDto] }) stages!: StageResultDto[];
  @ApiProperty({ type: QueueLengthsDto }) queueLengths!: QueueLengthsDto;
  @ApiProperty({ type: CostDto }) cost!: CostDto;
  @ApiProperty({ description: 'Mean accuracy penalty per completed request (cut-off)' })
  accuracyPenalty!: number;
  @ApiProperty({ type: LittleLawDto }) littleLaw!: LittleLawDto;
  @ApiProperty() events!: number;
  @ApiProperty({ description: 'True when the run stopped at the event cap' }) truncated!: boolean;
}

export class SimulationDto extends SimJobDto {
  @ApiPropertyOptional({
    type: SimulationResultDto,
    nullable: true,
    description: 'Set when the simulation succeeded',
  })
  result!: SimulationResultDto | null;
}
