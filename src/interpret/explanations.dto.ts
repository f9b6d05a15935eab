import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { QueryInt } from '../platform/http/query';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { JOB_STATUSES, type JobEntity, type JobStatus } from '../platform/jobs/job.entity';
import { DYNAMICS_METHODS, type DynamicsMethod } from './core/training-dynamics';
import { EXPLANATION_METHODS, type ExplanationMethod } from './explanation-specs.schema';

/* What /v1/explanations answers (the request is the job schema, explanation-specs.schema.ts). */

export class ExplanationArtifactDto {
  @ApiProperty({ example: 'explanation-0.png' }) name!: string;
  @ApiProperty({ example: '/v1/explanations/0b0c.../artifacts/explanation-0.png' }) url!: string;
}

export class ExplanationDto {
  @ApiProperty({ format: 'uuid', description: 'The id of the explanation job' }) id!: string;
  @ApiProperty({ enum: EXPLANATION_METHODS }) method!: ExplanationMethod;
  @ApiProperty({ example: 'a1b2c3' }) model!: string;
  @ApiProperty({ enum: JOB_STATUSES }) status!: JobStatus;
  @ApiProperty({ minimum: 0, maximum: 1 }) progress!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) progressMessage!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) error!: string | null;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'When succeeded. lime: `explanations` (per instance: label, className, probabilities, ' +
      'features, weights, contributions, featureNames, intercept, fidelity, faithfulness ' +
      '{curve, aopc, randomCurve, randomAopc}) and `summary`; normlime: `features`, `classes` ' +
      '(ranking per class), `overall`, `summary`',
  })
  result!: unknown;
  @ApiProperty({ type: [ExplanationArtifactDto], description: 'PNG heatmaps and bar charts' })
  artifacts!: ExplanationArtifactDto[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  finishedAt!: Date | null;

  static from(job: JobEntity, method: ExplanationMethod): ExplanationDto {
    const spec = job.spec as { model?: unknown };
    const result = (job.result ?? null) as { artifacts?: unknown } | null;
    const names = Array.isArray(result?.artifacts)
      ? result.artifacts.filter((a): a is string => typeof a === 'string')
      : [];
    return {
      id: job.id,
      method,
      model: String(spec.model ?? ''),
      status: job.status,
      progress: job.progress,
      progressMessage: job.progressMessage,
      error: job.error,
      result,
      artifacts: names.map((name) => ({
        name,
        url: `/v1/explanations/${job.id}/artifacts/${encodeURIComponent(name)}`,
      })),
      createdAt: job.createdAt,
      finishedAt: job.finishedAt,
    };
  }
}

export class DynamicsQuery {
  @ApiPropertyOptional({
    enum: DYNAMICS_METHODS,
    default: 'aum',
    description:
      '`aum`: area under the margin (Pleiss et al. 2020); `forgetting`: forgetting events ' +
      '(Toneva et al. 2019); `loss`: mean training loss; `combined`: mean rank of the three',
  })
  @IsOptional()
  @IsIn(DYNAMICS_METHODS)
  method?: DynamicsMethod;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, default: 50 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(10000)
  limit?: number;
}

export class SuspectDto {
  @ApiProperty({ description: 'Sample id as recorded (index in the training split)' })
  id!: string;
  @ApiProperty({ description: '0 = most suspicious' }) rank!: number;
  @ApiProperty({ description: 'Suspicion under the method, larger is more suspicious' })
  score!: number;
  @ApiProperty({ description: 'Mean over epochs of assigned logit - largest other logit' })
  aum!: number;
  @ApiProperty({ description: 'Correct -> incorrect transitions between epochs' })
  forgettingEvents!: number;
  @ApiProperty({ description: 'Never classified as its assigned label' }) neverLearned!: boolean;
  @ApiProperty() meanLoss!: number;
  @ApiPropertyOptional({ description: 'The label the sample carries (class index)' })
  label?: number;
  @ApiPropertyOptional({ description: 'The class predicted at the last epoch' })
  predicted?: number;
}

export class DynamicsDto {
  @ApiProperty({ format: 'uuid' }) jobId!: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Data set the sample ids index into',
  })
  dataset!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'train' }) split!: string | null;
  @ApiPropertyOptional({ type: [String], nullable: true, description: 'Names of the labels' })
  classNames!: string[] | null;
  @ApiProperty({ enum: DYNAMICS_METHODS }) method!: DynamicsMethod;
  @ApiProperty({ description: 'How the ranking is computed, with its reference' })
  methodDescription!: string;
  @ApiProperty({ description: 'Samples recorded' }) samples!: number;
  @ApiProperty({ description: 'Largest number of epochs recorded for a sample' }) epochs!: number;
  @ApiProperty({ type: [SuspectDto], description: 'Most suspicious first, at most `limit`' })
  suspects!: SuspectDto[];
}
