import { artifactName, sendArtifact } from '../http/artifact-response';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { IdempotencyKeyHeader } from '../http/idempotency-key';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/projects.service';
import { ApiProblems } from '../http/problem.dto';
import { ValidationError } from '../errors/domain-error';
import {
  ArtifactDto,
  CreateJobDto,
  EventsQuery,
  JobDto,
  JobEventDto,
  JobListDto,
  ListJobsQuery,
  MetricPointDto,
  MetricsQuery,
} from './jobs.dto';
import { assertIdempotencyKey, JobsService } from './jobs.service';

export const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Retrying a POST with the same key returns the same job instead of creating another',
};

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('v1/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a job of any registered kind' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 409, 413, 422)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateJobDto,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<JobDto> {
    const { job } = await this.jobs.submit(principal, body.kind, body.spec, {
      priority: body.priority,
      maxAttempts: body.maxAttempts,
      idempotencyKey: assertIdempotencyKey(idempotencyKey),
    });
    return JobDto.from(job);
  }

  @Get()
  @ApiOperation({ summary: 'List jobs, newest first' })
  @ApiOkResponse({ type: JobListDto })
  @ApiProblems(400)
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListJobsQuery,
  ): Promise<JobListDto> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    if (query.parent && query.topLevel)
      throw ValidationError.field('topLevel', 'lists jobs without a parent; not with parent');
    const { items, total } = await this.jobs.list(principal, {
      kind: query.kind,
      status: query.status,
      parentId: query.parent,
      topLevel: query.topLevel,
      limit,
      offset,
    });
    return { items: items.map((j) => JobDto.from(j)), total, limit, offset };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A job with its status, progress, attempts and result' })
  @ApiOkResponse({ type: JobDto })
  @ApiProblems(400, 404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<JobDto> {
    return JobDto.from(await this.jobs.get(principal, id));
  }

  @Get(':id/events')
  @ApiOperation({ summary: 'Log lines and status changes; pass `after` to follow' })
  @ApiOkResponse({ type: [JobEventDto] })
  @ApiProblems(400, 404)
  events(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: EventsQuery,
  ) {
    return this.jobs.events(principal, id, query.after ?? 0, query.limit ?? 200);
  }

  @Get(':id/metrics')
  @ApiOperation({ summary: 'Metric series reported by the job' })
  @ApiOkResponse({ type: [MetricPointDto] })
  @ApiProblems(400, 404)
  metrics(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: MetricsQuery,
  ) {
    return this.jobs.metrics(principal, id, query.name);
  }

  @Get(':id/artifacts')
  @ApiOperation({ summary: 'Artifacts stored by the job' })
  @ApiOkResponse({ type: [ArtifactDto] })
  @ApiProblems(400, 404)
  artifacts(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.jobs.artifacts(principal, id);
  }

  @Get(':id/artifacts/*name')
  @ApiOperation({ summary: 'Download an artifact' })
  @ApiProduces('application/octet-stream', 'image/png', 'application/json')
  @ApiOkResponse({
    description: 'The artifact bytes',
    schema: { type: 'string', format: 'binary' },
  })
  @ApiProblems(400, 404)
  async artifact(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('name') name: string | string[],
    @Res() res: Response,
  ): Promise<void> {
    await sendArtifact(res, await this.jobs.artifactFile(principal, id, artifactName(name)));
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel a queued or running job' })
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409)
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<JobDto> {
    return JobDto.from(await this.jobs.cancel(principal, id));
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run a failed or cancelled job again' })
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409)
  async retry(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<JobDto> {
    return JobDto.from(await this.jobs.retry(principal, id));
  }
}
