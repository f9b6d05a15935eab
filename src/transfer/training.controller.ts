import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { IdempotencyKeyHeader } from '../platform/http/idempotency-key';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiHeader,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ApiProblems } from '../platform/http/problem.dto';
import { IDEMPOTENCY_HEADER } from '../platform/jobs/jobs.controller';
import { JobDto } from '../platform/jobs/jobs.dto';
import { assertIdempotencyKey, JobsService } from '../platform/jobs/jobs.service';
import { FinetuneDto, PretrainDto } from './training.dto';
import { MODEL_REGISTRY, TrainingRegistryPort } from '../registry/model-registry.port';

/** EasyDL-style entry points for the training jobs (the same kinds POST /v1/jobs accepts). */
@ApiTags('training')
@ApiBearerAuth()
@Controller('v1')
export class TrainingController {
  constructor(
    private readonly jobs: JobsService,
    @Inject(MODEL_REGISTRY) private readonly registry: TrainingRegistryPort,
  ) {}

  @Post('pretrain')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Train a zoo architecture on a data set and register the model (a job)',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409, 422)
  async pretrain(
    @CurrentPrincipal() principal: Principal,
    @Body() body: PretrainDto,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<JobDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    await this.registry.resolveDataset(principal.projectId, body.dataset);
    if (body.name && !key) await this.registry.assertModelNameFree(principal.projectId, body.name);
    const { job } = await this.jobs.submit(
      principal,
      'pretrain',
      { ...body },
      { idempotencyKey: key },
    );
    return JobDto.from(job);
  }

  @Post('finetune')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Fine-tune a base model on a target data set with l2, l2sp, delta, rifle, dtnh+... or auto (a job)',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409, 422)
  async finetune(
    @CurrentPrincipal() principal: Principal,
    @Body() body: FinetuneDto,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<JobDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    await this.registry.resolveModel(principal.projectId, body.baseModel);
    await this.registry.resolveDataset(principal.projectId, body.dataset);
    if (body.name && !key) await this.registry.assertModelNameFree(principal.projectId, body.name);
    const {
      baseModel,
      dataset,
      name,
      method,
      epochs,
      hyperParameters,
      augment,
      augmentCopies,
      recordDynamics,
    } = body;
    const config: Record<string, unknown> = { ...hyperParameters };
    if (method !== undefined) config.method = method;
    if (epochs !== undefined) config.epochs = epochs;
    const spec: Record<string, unknown> = { baseModel, dataset, config };
    if (name !== undefined) spec.name = name;
    if (augment !== undefined) spec.augment = augment;
    if (augmentCopies !== undefined) spec.augmentCopies = augmentCopies;
    if (recordDynamics !== undefined) spec.recordDynamics = recordDynamics;
    const { job } = await this.jobs.submit(principal, 'finetune', spec, { idempotencyKey: key });
    return JobDto.from(job);
  }
}
