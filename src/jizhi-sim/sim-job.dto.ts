import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JOB_STATUSES, JobEntity, JobStatus } from '../platform/jobs/job.entity';

/* Answers shared by /v1/simulations and /v1/tunings (simulations.dto.ts, tunings.dto.ts). */

export class SimArtifactDto {
  @ApiProperty({ example: 'latency-cdf.png' }) name!: string;
  @ApiProperty({ example: 'image/png' }) contentType!: string;
  @ApiProperty() size!: number;
  @ApiProperty({ example: '/v1/jobs/6f1c.../artifacts/latency-cdf.png' }) url!: string;
}

/** Fields shared by a simulation and a tuning: the job behind it, without executor details. */
export class SimJobDto {
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
