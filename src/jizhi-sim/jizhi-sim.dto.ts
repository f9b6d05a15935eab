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
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { JOB_STATUSES, JobEntity, JobStatus } from '../platform/jobs/job.entity';
import { TRAFFIC_MODELS } from './core/traffic/registry';
import { TUNABLE_PARAMS, TunableParam } from './tune/tune-spec';
import { TUNE_SAMPLERS } from './tune/samplers';
import { RECOMMENDER_PIPELINE, RING_EXAMPLE, SIMULATE_EXAMPLE, TUNE_EXAMPLE } from './api-examples';
import { pipelineOpenApiSchema } from './openapi-schema';
import { UserKeyed } from '../platform/http/user-keyed';

/*
 * Wire types of /v1/simulations, /v1/tunings and /v1/ring. The DTOs check shapes and types; the
 * pipeline and traffic documents are free-form JSON checked in depth by the simulator (graph
 * rules, ranges, stability), whose errors name the field path inside them.
 */

const FINITE = { allowNaN: false, allowInfinity: false };
const MAX_SEED = 2 ** 31 - 1;

const PIPELINE_PROPERTY = {
  ...pipelineOpenApiSchema(),
  description:
    'The serving pipeline (docs/jizhi-sim.md, schema src/jizhi-sim/pipeline.schema.json): a DAG ' +
    'of stages. References, cycles and stability are checked by the simulator (400 / 422).',
  example: RECOMMENDER_PIPELINE,
};

const TRAFFIC_DESCRIPTION =
  `Traffic model: \`model\` is one of ${TRAFFIC_MODELS.join(', ')}. ` +
  'poisson {rateRps}; diurnal {meanRps, amplitude, periodS, phaseS?}; ' +
  'mmpp {rates[], meanDwellS[]}; replay {timestampsS[] | csv, loop?}.';

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

export class SloDto {
  @ApiProperty({ description: 'p99 latency target (ms)', example: 40 })
  @IsNumber(FINITE)
  p99Ms!: number;

  @ApiPropertyOptional({
    description: 'Largest acceptable drop rate',
    default: 0.001,
    example: TUNE_EXAMPLE.slo.maxDropRate,
  })
  @IsOptional()
  @IsNumber(FINITE)
  maxDropRate?: number;

  @ApiPropertyOptional({
    description: 'Largest acceptable mean accuracy penalty (feature cut-off)',
    default: 1,
  })
  @IsOptional()
  @IsNumber(FINITE)
  maxAccuracyPenalty?: number;
}

export class SpaceEntryDto {
  @ApiProperty({ description: 'A stage id of the pipeline', example: 'dnn' })
  @IsString()
  @MaxLength(256)
  stage!: string;

  @ApiProperty({ enum: TUNABLE_PARAMS, example: 'instances' })
  @IsIn(TUNABLE_PARAMS)
  param!: TunableParam;

  @ApiPropertyOptional({ type: [Number], description: 'Explicit values (instead of low/high)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsNumber(FINITE, { each: true })
  values?: number[];

  @ApiPropertyOptional({ example: 1 })
  @IsOptional()
  @IsNumber(FINITE)
  low?: number;

  @ApiPropertyOptional({ example: 8 })
  @IsOptional()
  @IsNumber(FINITE)
  high?: number;

  @ApiPropertyOptional({ description: 'Grid step of the range' })
  @IsOptional()
  @IsNumber(FINITE)
  step?: number;
}

export class BudgetDto {
  @ApiProperty({ description: 'Configurations to try', example: 60 })
  @IsInt()
  trials!: number;
}

export class CreateTuningDto {
  @ApiProperty(PIPELINE_PROPERTY)
  @UserKeyed()
  @IsObject()
  pipeline!: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: TRAFFIC_DESCRIPTION,
    example: TUNE_EXAMPLE.traffic,
  })
  @UserKeyed()
  @IsObject()
  traffic!: Record<string, unknown>;

  // A bare $ref (no sibling keywords such as an example, which would make Nest emit an `allOf`
  // without a `type`): clients and the fuzz test resolve it to the object schema.
  @ApiProperty({ type: SloDto })
  @IsObject()
  @ValidateNested()
  @Type(() => SloDto)
  slo!: SloDto;

  @ApiProperty({
    type: [SpaceEntryDto],
    description: 'Search dimensions: per stage, a tunable parameter with values or low/high',
    example: TUNE_EXAMPLE.space,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => SpaceEntryDto)
  space!: SpaceEntryDto[];

  @ApiProperty({ type: BudgetDto })
  @IsObject()
  @ValidateNested()
  @Type(() => BudgetDto)
  budget!: BudgetDto;

  @ApiPropertyOptional({
    description: 'Simulation seeds per configuration (metrics averaged)',
    default: 3,
    example: TUNE_EXAMPLE.seeds,
  })
  @IsOptional()
  @IsInt()
  seeds?: number;

  @ApiPropertyOptional({
    enum: TUNE_SAMPLERS,
    description: 'Default tpe (min-cost) or nsga2 (pareto)',
  })
  @IsOptional()
  @IsIn(TUNE_SAMPLERS)
  sampler?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Settings of the sampler, e.g. {"nStartupTrials": 20}',
  })
  @IsOptional()
  @UserKeyed()
  @IsObject()
  samplerOptions?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Seeds the sampler (default: seed)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SEED)
  samplerSeed?: number;

  @ApiPropertyOptional({ enum: ['min-cost', 'pareto'], default: 'min-cost' })
  @IsOptional()
  @IsIn(['min-cost', 'pareto'])
  objective?: string;

  @ApiPropertyOptional({ description: 'Simulated seconds per run', default: 60, example: 30 })
  @IsOptional()
  @IsNumber(FINITE)
  durationS?: number;

  @ApiPropertyOptional({ description: 'Warm-up removed from each run (s)', example: 3 })
  @IsOptional()
  @IsNumber(FINITE)
  warmupS?: number;

  @ApiPropertyOptional({ description: 'Seeds the simulations', default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SEED)
  seed?: number;
}

export class RingRequestDto {
  @ApiProperty({ description: 'Compute time of one iteration on one GPU (ms)', example: 100 })
  @IsNumber(FINITE)
  tCalcMs!: number;

  @ApiProperty({ description: 'Time to send the whole model over one link (ms)', example: 20 })
  @IsNumber(FINITE)
  tTransmitMs!: number;

  @ApiProperty({ description: 'Time to add a whole model (ms)', example: 5 })
  @IsNumber(FINITE)
  tMergeMs!: number;

  @ApiPropertyOptional({
    description: 'Coefficient of variation of every step (log-normal) for the simulation',
    default: 0,
  })
  @IsOptional()
  @IsNumber(FINITE)
  jitterCv?: number;

  @ApiProperty({
    type: [Number],
    description: 'GPU counts to tabulate',
    example: RING_EXAMPLE.gpus,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(32)
  @IsInt({ each: true })
  gpus!: number[];
}

export class RingRowDto {
  @ApiProperty() gpus!: number;
  @ApiProperty({ description: 'T(n) = T_calc + (n-1)/n (2 T_transmit + T_merge)' })
  iterationMs!: number;
  @ApiProperty({ description: 'S(n) = n T_calc / T(n)' }) speedup!: number;
  @ApiProperty({ description: 'S(n) / n' }) efficiency!: number;
  @ApiProperty() simulatedIterationMs!: number;
  @ApiProperty() simulatedSpeedup!: number;
  @ApiProperty() simulatedIterations!: number;
}

export class RingTableDto {
  @ApiProperty({ example: 'T(n) = T_calc + (n-1)/n (2 T_transmit + T_merge)' }) formula!: string;
  @ApiProperty({ description: 'Efficiency S(n)/n as n grows without bound' })
  efficiencyLimit!: number;
  @ApiProperty({ type: [RingRowDto] }) rows!: RingRowDto[];
}

/* ---- results (documentation of what GET returns once the job succeeded) ---- */

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

export class ConfigEvaluationDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { 'dnn.instances': 2, 'dnn.batch.maxSize': 16 },
  })
  params!: Record<string, number>;
  @ApiProperty({ description: 'Price per hour (instance count when no stage has a price)' })
  cost!: number;
  @ApiProperty() instances!: number;
  @ApiProperty() p99Ms!: number;
  @ApiProperty() dropRate!: number;
  @ApiProperty() accuracyPenalty!: number;
  @ApiProperty() feasible!: boolean;
  @ApiProperty() unstable!: boolean;
}

export class TuneTrialDto extends ConfigEvaluationDto {
  @ApiProperty() trial!: number;
  @ApiProperty({ description: 'Simulations run so far' }) simulations!: number;
}

export class TuneResultDto {
  @ApiProperty({ enum: ['min-cost', 'pareto'] }) objective!: string;
  @ApiProperty({ enum: TUNE_SAMPLERS }) sampler!: string;
  @ApiProperty() trials!: number;
  @ApiProperty() simulations!: number;
  @ApiPropertyOptional({
    type: ConfigEvaluationDto,
    nullable: true,
    description: 'Cheapest feasible configuration; null when none met the SLO',
  })
  best!: ConfigEvaluationDto | null;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The pipeline with the best parameters applied',
  })
  bestPipeline!: Record<string, unknown> | null;
  @ApiProperty({ type: ConfigEvaluationDto, description: 'The submitted configuration' })
  current!: ConfigEvaluationDto;
  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: 'Cost saved vs the current config (fraction; negative = dearer)',
  })
  savingVsCurrent!: number | null;
  @ApiProperty({ type: [ConfigEvaluationDto], description: 'Cost vs p99, cheapest first' })
  paretoFront!: ConfigEvaluationDto[];
  @ApiProperty({ type: [TuneTrialDto] }) history!: TuneTrialDto[];
}

export class SimArtifactDto {
  @ApiProperty({ example: 'latency-cdf.png' }) name!: string;
  @ApiProperty({ example: 'image/png' }) contentType!: string;
  @ApiProperty() size!: number;
  @ApiProperty({ example: '/v1/jobs/6f1c.../artifacts/latency-cdf.png' }) url!: string;
}

/** Fields shared by a simulation and a tuning: the job behind it, without executor details. */
class SimJobDto {
  @ApiProperty({ format: 'uuid', description: 'The job id (also valid under /v1/jobs)' })
  id!: string;
  @ApiProperty({ enum: JOB_STATUSES }) status!: JobStatus;
  @ApiProperty({ minimum: 0, maximum: 1 }) progress!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) progressMessage!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Normalised request' })
  request!: unknown;
  @ApiProperty({ type: [SimArtifactDto], description: 'Charts, once the job has stored them' })
  artifacts!: SimArtifactDto[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  startedAt!: Date | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  finishedAt!: Date | null;
}

export class SimulationDto extends SimJobDto {
  @ApiPropertyOptional({
    type: SimulationResultDto,
    nullable: true,
    description: 'Set when the simulation succeeded',
  })
  result!: SimulationResultDto | null;
}

export class TuningDto extends SimJobDto {
  @ApiPropertyOptional({
    type: TuneResultDto,
    nullable: true,
    description: 'Set when the tuning succeeded',
  })
  result!: TuneResultDto | null;
}

export function simJobFields(job: JobEntity, artifacts: SimArtifactDto[]): SimJobDto {
  return {
    id: job.id,
    status: job.status,
    progress: job.progress,
    progressMessage: job.progressMessage,
    error: job.error,
    request: job.spec,
    artifacts,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

export class SimProblemDto {
  @ApiProperty({ example: 'pipeline.stages[1]' }) field!: string;
  @ApiProperty({ example: 'stage "dnn" is unstable: utilisation 1.200 >= 1' }) message!: string;
  @ApiProperty({ enum: ['validation', 'unprocessable'] }) kind!: 'validation' | 'unprocessable';
}

export class SimValidateResponseDto {
  @ApiProperty() valid!: boolean;
  @ApiProperty({ type: [SimProblemDto] }) problems!: SimProblemDto[];
}
