import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { PageQuery, QueryBool, QueryInt } from '../http/query';
import { JOB_STATUSES, JobEntity, JobStatus } from './job.entity';
import { UserKeyed } from '../http/user-keyed';

export class CreateJobDto {
  @ApiProperty({ description: 'A registered job kind', example: 'sleep' })
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z][a-z0-9-]*$/, { message: 'kind must be lowercase letters, digits and dashes' })
  kind!: string;

  @ApiPropertyOptional({
    description: 'Kind-specific parameters, validated by the kind',
    example: { steps: 5, stepMs: 200 },
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @UserKeyed()
  @IsObject()
  spec?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Higher runs first',
    minimum: -100,
    maximum: 100,
    default: 0,
  })
  @IsOptional()
  @IsInt()
  @Min(-100)
  @Max(100)
  priority?: number;

  @ApiPropertyOptional({
    description: 'Runs before the job is failed for good',
    minimum: 1,
    maximum: 20,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  maxAttempts?: number;
}

export class ListJobsQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'sleep' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  kind?: string;

  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional()
  @IsIn(JOB_STATUSES)
  status?: JobStatus;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "Only the child jobs of this job (a study driver's trials, a NAS run's candidates)",
  })
  @IsOptional()
  @IsUUID()
  parent?: string;

  @ApiPropertyOptional({
    description:
      'Only jobs without a parent: the studies, NAS runs and jobs submitted directly, without their trials',
    default: false,
  })
  @IsOptional()
  @QueryBool()
  @IsBoolean()
  topLevel?: boolean;
}

export class EventsQuery {
  @ApiPropertyOptional({ description: 'Only events with a larger id (for following)', minimum: 0 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  after?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 200 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class MetricsQuery {
  @ApiPropertyOptional({ example: 'loss' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  name?: string;
}

export class JobDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'sleep' }) kind!: string;
  @ApiProperty({ enum: JOB_STATUSES }) status!: JobStatus;
  @ApiProperty({ type: 'object', additionalProperties: true }) spec!: unknown;
  @ApiProperty() priority!: number;
  @ApiProperty({ description: 'Runs started so far' }) attempts!: number;
  @ApiProperty() maxAttempts!: number;
  @ApiProperty({ minimum: 0, maximum: 1 }) progress!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) progressMessage!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) error!: string | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  result!: unknown;
  @ApiProperty() cancelRequested!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'local' }) executor!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) externalId!: string | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'host:pid:nonce of the worker running it',
  })
  worker!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, format: 'uuid' }) parentId!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt!: Date;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  startedAt!: Date | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  finishedAt!: Date | null;

  static from(job: JobEntity): JobDto {
    return {
      id: job.id,
      kind: job.kind,
      status: job.status,
      spec: job.spec,
      priority: job.priority,
      attempts: job.attempts,
      maxAttempts: job.maxAttempts,
      progress: job.progress,
      progressMessage: job.progressMessage,
      error: job.error,
      result: job.result ?? null,
      cancelRequested: job.cancelRequestedAt !== null,
      executor: job.executor,
      externalId: job.externalId,
      worker: job.workerId,
      parentId: job.parentId,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
    };
  }
}

export class JobListDto {
  @ApiProperty({ type: [JobDto] }) items!: JobDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class JobEventDto {
  @ApiProperty() id!: number;
  @ApiProperty({ enum: ['log', 'status'] }) type!: string;
  @ApiProperty({ enum: ['info', 'warn', 'error'] }) level!: string;
  @ApiProperty() message!: string;
  @ApiProperty() attempt!: number;
  @ApiProperty({ type: String, format: 'date-time' }) time!: Date;
}

export class MetricPointDto {
  @ApiProperty({ example: 'loss' }) name!: string;
  @ApiProperty() step!: number;
  @ApiProperty() value!: number;
  @ApiProperty({ type: String, format: 'date-time' }) time!: Date;
}

export class ArtifactDto {
  @ApiProperty({ example: 'latency-cdf.png' }) name!: string;
  @ApiProperty() size!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty({ example: 'image/png' }) contentType!: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
}
