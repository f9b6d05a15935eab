import { artifactName, sendArtifact } from '../platform/http/artifact-response';
import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { IdempotencyKeyHeader } from '../platform/http/idempotency-key';
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
import { CurrentPrincipal } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ApiProblems } from '../platform/http/problem.dto';
import { IDEMPOTENCY_HEADER } from '../platform/jobs/jobs.controller';
import { assertIdempotencyKey } from '../platform/jobs/jobs.service';
import { ApiSpecBody, SpecBody } from '../platform/validation/spec-body';
import { createExplanationBody, type CreateExplanation } from './explanation-specs.schema';
import { DynamicsDto, DynamicsQuery, ExplanationDto } from './explanations.dto';
import { ExplanationsService } from './explanations.service';

@ApiTags('explanations')
@ApiBearerAuth()
@Controller('v1/explanations')
export class ExplanationsController {
  constructor(private readonly explanations: ExplanationsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Explain a registered model with LIME (per instance) or NormLIME (per class)',
    description:
      'Checks the model, data set and instances against each other, then queues an `explain` ' +
      '(lime) or `normlime` job. Unknown model or data set: 404; instances or data set that do ' +
      'not fit the model: 422 naming them.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiSpecBody(createExplanationBody)
  @ApiAcceptedResponse({ type: ExplanationDto })
  @ApiProblems(400, 404, 409, 413, 422, 503)
  async create(
    @CurrentPrincipal() principal: Principal,
    @SpecBody(createExplanationBody) body: CreateExplanation,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<ExplanationDto> {
    const { job, method } = await this.explanations.create(
      principal,
      body,
      assertIdempotencyKey(idempotencyKey),
    );
    return ExplanationDto.from(job, method);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Status of an explanation and, once it succeeded, its weights, fidelity and AOPC',
  })
  @ApiOkResponse({ type: ExplanationDto })
  @ApiProblems(400, 404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ExplanationDto> {
    const { job, method } = await this.explanations.get(principal, id);
    return ExplanationDto.from(job, method);
  }

  @Get(':id/artifacts/*name')
  @ApiOperation({ summary: 'A PNG of the explanation (heatmap, bar chart, concept map)' })
  @ApiProduces('image/png', 'application/octet-stream')
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
    await sendArtifact(
      res,
      await this.explanations.artifactFile(principal, id, artifactName(name)),
    );
  }
}

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('v1/jobs')
export class DynamicsController {
  constructor(private readonly explanations: ExplanationsService) {}

  @Get(':id/dynamics')
  @ApiOperation({
    summary: 'Suspected mislabelled training samples of a finetune job run with recordDynamics',
    description:
      "Reads the job's `dynamics.json` artifact (per sample and epoch: loss, assigned and largest " +
      'other logit, correct) and ranks the samples, most suspicious first.',
  })
  @ApiOkResponse({ type: DynamicsDto })
  @ApiProblems(400, 404, 409, 422)
  dynamics(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: DynamicsQuery,
  ): Promise<DynamicsDto> {
    return this.explanations.dynamics(principal, id, query.method ?? 'aum', query.limit ?? 50);
  }
}
