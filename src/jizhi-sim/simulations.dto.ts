import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SimJobDto } from './sim-job.dto';

/* What /v1/simulations answers (the request is the `simulate` job schema, sim-specs.schema.ts). */

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
  @ApiProperty({ description: 'Mean instances provisioned (the instance count unless autoscaled)' })
  meanInstances!: number;
  @ApiProperty({ description: 'Changes made by the autoscaler' }) scaleEvents!: number;
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

export class ClassResultDto {
  @ApiProperty() id!: string;
  @ApiProperty() completed!: number;
  @ApiProperty() dropped!: number;
  @ApiProperty({ type: LatencySummaryDto }) latencyMs!: LatencySummaryDto;
}

export class SimulationResultDto {
  @ApiProperty() pipeline!: string;
  @ApiProperty() seed!: number;
  @ApiProperty({ type: WindowDto }) window!: WindowDto;
  @ApiProperty({ type: RequestCountsDto }) requests!: RequestCountsDto;
  @ApiProperty() throughputRps!: number;
  @ApiProperty({ type: LatencySummaryDto }) latencyMs!: LatencySummaryDto;
  @ApiProperty({ type: LatencyHistogramDto }) latencyHistogram!: LatencyHistogramDto;
  @ApiPropertyOptional({
    type: [ClassResultDto],
    description: 'Per request class, when the pipeline has classes',
  })
  classes?: ClassResultDto[];
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
