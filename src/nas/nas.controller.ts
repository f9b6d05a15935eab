import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ApiProblems } from '../platform/http/problem.dto';
import { IdempotencyKeyHeader } from '../platform/http/idempotency-key';
import { IDEMPOTENCY_HEADER } from '../platform/jobs/jobs.controller';
import { JobDto } from '../platform/jobs/jobs.dto';
import { assertIdempotencyKey } from '../platform/jobs/jobs.service';
import { ApiSpecBody, SpecBody } from '../platform/validation/spec-body';
import type { NasJobSpec } from './core/nas-spec';
import type { PruneJobSpec } from './core/pruning/prune-spec';
import { type NasExportRequest, nasExportRequest } from './nas-export.schema';
import { nasSpec } from './nas.schema';
import { NasStatusDto } from './nas.dto';
import { pruneSpec } from './prune.schema';
import { NasService } from './nas.service';

/** Neural architecture search and pruning search over the job platform (kinds nas, prune). */
@ApiTags('nas')
@ApiBearerAuth()
@Controller('v1')
export class NasController {
  constructor(private readonly nas: NasService) {}

  @Post('nas')
  @HttpCode(202)
  @ApiOperation({ summary: 'Search network architectures on a data set (a job)' })
  @ApiSpecBody(nasSpec)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409)
  async create(
    @CurrentPrincipal() principal: Principal,
    @SpecBody(nasSpec) spec: NasJobSpec,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<JobDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    return JobDto.from(await this.nas.create(principal, spec, key));
  }

  @Get('nas/:id')
  @ApiOperation({
    summary: 'A NAS job: status, leaderboard, Pareto front and the URLs of its artifacts',
  })
  @ApiOkResponse({ type: NasStatusDto })
  @ApiProblems(400, 404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<NasStatusDto> {
    return this.nas.get(principal, id);
  }

  @Post('nas/:id/export')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Retrain a found architecture on train + validation and register it as a model (a job)',
  })
  @ApiSpecBody(nasExportRequest)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409, 422)
  async export(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @SpecBody(nasExportRequest) body: NasExportRequest,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<JobDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    return JobDto.from(await this.nas.export(principal, id, body, key));
  }

  @Post('prune')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Prune a trained model to several FLOPs/params/latency budgets and register the family (a job)',
  })
  @ApiSpecBody(pruneSpec)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409)
  async prune(
    @CurrentPrincipal() principal: Principal,
    @SpecBody(pruneSpec) spec: PruneJobSpec,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<JobDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    return JobDto.from(await this.nas.prune(principal, spec, key));
  }
}
