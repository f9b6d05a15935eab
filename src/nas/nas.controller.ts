import * as fs from 'node:fs';
import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { IdempotencyKeyHeader } from '../platform/http/idempotency-key';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { DatasetsService } from '../models/datasets.service';
import { ModelsService } from '../models/models.service';
import { CurrentPrincipal } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { NotFoundError } from '../platform/errors/domain-error';
import { ApiProblems } from '../platform/http/problem.dto';
import { IDEMPOTENCY_HEADER } from '../platform/jobs/jobs.controller';
import { JobDto } from '../platform/jobs/jobs.dto';
import { assertIdempotencyKey, JobsService } from '../platform/jobs/jobs.service';
import { chosenTrial, validateNasExportSpec } from './nas-export.handler';
import { NasExportDto, NasRequestDto, NasStatusDto, PruneRequestDto } from './nas.dto';
import { NasJobResult, nasJobResult, type TrialSummary } from './core/nas-report';
import { nasResultOfStudy } from './core/nas-summary';
import { findNasStudy, loadNasStudy } from './nas-study';

/** Neural architecture search and pruning search over the job platform (kinds nas, prune). */
@ApiTags('nas')
@ApiBearerAuth()
@Controller('v1')
export class NasController {
  constructor(
    private readonly jobs: JobsService,
    private readonly datasets: DatasetsService,
    private readonly models: ModelsService,
    private readonly db: DataSource,
  ) {}

  @Post('nas')
  @HttpCode(202)
  @ApiOperation({ summary: 'Search network architectures on a data set (a job)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: NasRequestDto,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<JobDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    await this.datasets.get(principal.projectId, body.dataset);
    const { job } = await this.jobs.submit(principal, 'nas', { ...body }, { idempotencyKey: key });
    return JobDto.from(job);
  }

  @Get('nas/:id')
  @ApiOperation({
    summary: 'A NAS job: status, leaderboard, Pareto front and the URLs of its artifacts',
  })
  @ApiOkResponse({ type: NasStatusDto })
  @ApiProblems(400, 404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    const job = await this.nasJob(principal, id);
    const stored = (await this.jobs.artifacts(principal, id)).map((a) => a.name);
    const row = await findNasStudy(this.db, principal.projectId, job.id);
    const seed = row?.config.nas.spec.seed ?? (job.spec as { seed?: number }).seed ?? null;
    return NasStatusDto.from(job, stored, await this.liveResult(principal, job, row?.id), seed);
  }

  @Post('nas/:id/export')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Retrain a found architecture on train + validation and register it as a model (a job)',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409, 422)
  async export(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: NasExportDto,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<JobDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    await this.nasJob(principal, id);
    const spec = validateNasExportSpec({ ...body, nasJob: id });
    // Refuse now what the job would fail on: an unfinished search or an unknown trial.
    await chosenTrial(this.db, principal.projectId, id, spec.trial, async () => {
      const { file } = await this.jobs.artifactFile(principal, id, 'trials.json');
      return JSON.parse(await fs.promises.readFile(file, 'utf8')) as TrialSummary[];
    });
    if (spec.name && !key) await this.models.assertNameFree(principal.projectId, spec.name);
    const { job } = await this.jobs.submit(principal, 'nas-export', spec, {
      idempotencyKey: key,
      parentId: id,
    });
    return JobDto.from(job);
  }

  @Post('prune')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Prune a trained model to several FLOPs/params/latency budgets and register the family (a job)',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409)
  async prune(
    @CurrentPrincipal() principal: Principal,
    @Body() body: PruneRequestDto,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<JobDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    await this.models.get(principal.projectId, body.model);
    if (body.dataset) await this.datasets.get(principal.projectId, body.dataset);
    const { job } = await this.jobs.submit(
      principal,
      'prune',
      { ...body },
      { idempotencyKey: key },
    );
    return JobDto.from(job);
  }

  /** A running search's leaderboard of the trials finished so far (from its study). */
  private async liveResult(
    principal: Principal,
    job: { id: string; status: string },
    studyId: string | undefined,
  ): Promise<NasJobResult | undefined> {
    if (job.status !== 'running' || !studyId) return undefined;
    const { study, space, spec } = await loadNasStudy(this.db, principal.projectId, studyId);
    return nasJobResult(space, spec, await nasResultOfStudy(study, spec.objective, 'completed'));
  }

  private async nasJob(principal: Principal, id: string) {
    const job = await this.jobs.get(principal, id);
    if (job.kind !== 'nas') throw new NotFoundError('nas job', id);
    return job;
  }
}
