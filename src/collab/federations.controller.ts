import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
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
import { PageQuery } from '../platform/http/query';
import { IdempotencyKeyHeader } from '../platform/http/idempotency-key';
import { ApiProblems } from '../platform/http/problem.dto';
import { IDEMPOTENCY_HEADER } from '../platform/jobs/jobs.controller';
import { JobDto } from '../platform/jobs/jobs.dto';
import { assertIdempotencyKey } from '../platform/jobs/jobs.service';
import { ApiSpecBody, SpecBody } from '../platform/validation/spec-body';
import { federationSpec, type FederationSpec } from './federation.schema';
import { FederationDto, FederationListDto, FederationRoundDto } from './federations.dto';
import { FederationsService } from './federations.service';

/** Collaborative learning across sites (job kind `federation`; docs/collab.md). */
@ApiTags('collab')
@ApiBearerAuth()
@Controller('v1/federations')
export class FederationsController {
  constructor(private readonly federations: FederationsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Train one model across sites without moving their data (a job)' })
  @ApiSpecBody(federationSpec)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: JobDto })
  @ApiProblems(400, 404, 409)
  async create(
    @CurrentPrincipal() principal: Principal,
    @SpecBody(federationSpec) spec: FederationSpec,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<JobDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    return JobDto.from(await this.federations.create(principal, spec, key ?? undefined));
  }

  @Get()
  @ApiOperation({ summary: 'The project’s federations, newest first' })
  @ApiOkResponse({ type: FederationListDto })
  @ApiProblems(400)
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQuery,
  ): Promise<FederationListDto> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const page = await this.federations.list(principal, limit, offset);
    return {
      items: page.items.map((f) => FederationDto.from(f)),
      total: page.total,
      limit,
      offset,
    };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'A federation: status, sites (lineage), rounds with per-site metrics and bytes',
  })
  @ApiOkResponse({ type: FederationDto })
  @ApiProblems(400, 404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<FederationDto> {
    const { federation, rounds } = await this.federations.get(principal, id);
    return FederationDto.from(federation, rounds);
  }

  @Post(':id/sites/:name/key')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Issue the `site` key of a remote site (shown once): it can only pull this site’s work and post its updates',
  })
  @ApiProblems(400, 403, 404, 409)
  siteKey(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('name') name: string,
  ): Promise<{ key: string; keyId: string; federationId: string; site: string }> {
    return this.federations.issueSiteKey(principal, id, name);
  }

  @Get(':id/rounds')
  @ApiOperation({ summary: 'The rounds of a federation with per-site metrics and bytes sent' })
  @ApiOkResponse({ type: [FederationRoundDto] })
  @ApiProblems(400, 404)
  async rounds(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<FederationRoundDto[]> {
    return (await this.federations.get(principal, id)).rounds.map(FederationRoundDto.from);
  }
}
