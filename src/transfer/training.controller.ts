import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiHeader,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { IdempotencyKeyHeader } from '../platform/http/idempotency-key';
import { ApiProblems } from '../platform/http/problem.dto';
import { IDEMPOTENCY_HEADER } from '../platform/jobs/jobs.controller';
import { JobDto } from '../platform/jobs/jobs.dto';
import { assertIdempotencyKey, JobsService } from '../platform/jobs/jobs.service';
import { ApiSpecBody, SpecBody } from '../platform/validation/spec-body';
import { MODEL_REGISTRY, TrainingRegistryPort } from '../registry/model-registry.port';
import type { PretrainSpec } from './core/training-specs';
import { FinetuneRequest, finetuneRequest, finetuneSpecOf } from './finetune.schema';
import { pretrainSpec } from './pretrain.schema';

/**
 * EasyDL-style entry points for the training jobs (the same kinds POST /v1/jobs accepts). The
 * bodies are described and checked by the kinds' schemas (pretrain.schema.ts, finetune.schema.ts);
 * problems name the body's fields. Unknown references are 404s (resolved at enqueue).
 */
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
  @ApiSpecBody(pretrainSpec)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409, 422)
  async pretrain(
    @CurrentPrincipal() principal: Principal,
    @SpecBody(pretrainSpec) spec: PretrainSpec,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<JobDto> {
    return this.submit(principal, 'pretrain', spec, spec.name, idempotencyKey);
  }

  @Post('finetune')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Fine-tune a base model on a target data set with l2, l2sp, delta, rifle, dtnh+... or auto (a job)',
  })
  @ApiSpecBody(finetuneRequest)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409, 422)
  async finetune(
    @CurrentPrincipal() principal: Principal,
    @SpecBody(finetuneRequest) body: FinetuneRequest,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<JobDto> {
    return this.submit(principal, 'finetune', finetuneSpecOf(body), body.name, idempotencyKey);
  }

  /** A taken model name is a 409 now rather than a failed job (a retried key finds its job). */
  private async submit(
    principal: Principal,
    kind: 'pretrain' | 'finetune',
    spec: object,
    name: string | null | undefined,
    idempotencyKey: string | undefined,
  ): Promise<JobDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    if (name && !key) await this.registry.assertModelNameFree(principal.projectId, name);
    const { job } = await this.jobs.submit(principal, kind, spec, { idempotencyKey: key });
    return JobDto.from(job);
  }
}
