import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { IdempotencyKeyHeader } from '../platform/http/idempotency-key';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ValidationError } from '../platform/errors/domain-error';
import { ApiProblems } from '../platform/http/problem.dto';
import { IDEMPOTENCY_HEADER } from '../platform/jobs/jobs.controller';
import { assertIdempotencyKey, assertUuid } from '../platform/jobs/jobs.service';
import { ApiSpecBody } from '../platform/validation/spec-body';
import { studyBody, studyPatchBody } from './study.schema';
import {
  ImportanceQuery,
  ListStudiesQuery,
  ListTrialsQuery,
  ReportDto,
  TellDto,
} from './dto/study-requests.dto';
import {
  AskResponseDto,
  ImportanceDto,
  ReportResponseDto,
  StudyDto,
  StudyListDto,
  TrialDto,
  TrialListDto,
  ValidateResponseDto,
} from './dto/study-responses.dto';
import { ExternalTrialsService } from './external-trials.service';
import { StudiesService } from './studies.service';

function trialNumber(raw: string): number {
  if (!/^\d{1,9}$/.test(raw))
    throw ValidationError.field(
      'n',
      `must be a trial number (0, 1, 2 ...), got "${raw.slice(0, 40)}"`,
    );
  return Number(raw);
}

@ApiTags('studies')
@ApiBearerAuth()
@Controller('v1')
export class StudiesController {
  constructor(
    private readonly studies: StudiesService,
    private readonly external: ExternalTrialsService,
  ) {}

  // Google AIP-136 custom method; the colon is escaped for Express 5's path-to-regexp.
  @Post('studies\\:validate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check a study configuration (space, directions, sampler, pruner, budget, runner)',
    description: 'Answers 200 with {valid, problems}; each problem names its field.',
  })
  @ApiSpecBody(studyBody)
  @ApiOkResponse({ type: ValidateResponseDto })
  @ApiProblems(400, 413)
  validate(@Body() body: unknown): ValidateResponseDto {
    return this.studies.validate(body);
  }

  @Post('studies')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Create a study',
    description:
      'With runner {type: "command"} a `study` job drives it (trials run as `trial-command` jobs); ' +
      'with {type: "external"} (default) a program drives it through ask/tell.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiSpecBody(studyBody)
  @ApiAcceptedResponse({ type: StudyDto })
  @ApiProblems(400, 409, 413)
  async create(
    @CurrentPrincipal() principal: Principal,
    // Parsed once by the service with the study schema (`:validate` answers its problems).
    @Body() body: unknown,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<StudyDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    return (await this.studies.create(principal, body, key)).study;
  }

  @Get('studies')
  @ApiOperation({ summary: 'List studies, newest first' })
  @ApiOkResponse({ type: StudyListDto })
  @ApiProblems(400)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListStudiesQuery,
  ): Promise<StudyListDto> {
    return this.studies.list(principal, query);
  }

  @Get('studies/:id')
  @ApiOperation({ summary: 'A study: status, trial counts by state, best trial, Pareto front' })
  @ApiOkResponse({ type: StudyDto })
  @ApiProblems(400, 404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<StudyDto> {
    assertUuid(id);
    return this.studies.get(principal, id);
  }

  @Patch('studies/:id')
  @ApiOperation({
    summary: "Change a running study's budget: {budget: {nTrials?, parallelism?}}",
    description:
      "Takes effect at the driver's next poll (Katib allows the same for a running experiment); " +
      'other fields of a study cannot change.',
  })
  @ApiSpecBody(studyPatchBody)
  @ApiOkResponse({ type: StudyDto })
  @ApiProblems(400, 404, 409)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<StudyDto> {
    assertUuid(id);
    return this.studies.updateBudget(principal, id, body);
  }

  @Get('studies/:id/trials')
  @ApiOperation({
    summary: 'Trials of a study by number, with params, values, intermediate values',
  })
  @ApiOkResponse({ type: TrialListDto })
  @ApiProblems(400, 404)
  trials(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: ListTrialsQuery,
  ): Promise<TrialListDto> {
    assertUuid(id);
    return this.studies.trials(principal, id, query);
  }

  @Get('studies/:id/importance')
  @ApiOperation({ summary: 'Parameter importance over the complete trials' })
  @ApiOkResponse({ type: ImportanceDto })
  @ApiProblems(400, 404, 409)
  importance(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: ImportanceQuery,
  ): Promise<ImportanceDto> {
    assertUuid(id);
    return this.studies.importance(principal, id, query.objective ?? 0);
  }

  @Post('studies/:id/stop')
  @HttpCode(202)
  @ApiOperation({ summary: 'Start no more trials; trials in flight finish' })
  @ApiAcceptedResponse({ type: StudyDto })
  @ApiProblems(400, 404, 409)
  stop(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<StudyDto> {
    assertUuid(id);
    return this.studies.stop(principal, id);
  }

  @Post('studies/:id/ask')
  @HttpCode(201)
  @ApiOperation({ summary: 'Start a trial: its number and parameters (external runner)' })
  @ApiCreatedResponse({ type: AskResponseDto })
  @ApiProblems(400, 404, 409)
  ask(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<{ number: number; params: object }> {
    assertUuid(id);
    return this.external.ask(principal, id);
  }

  @Post('studies/:id/trials/:n/tell')
  @HttpCode(200)
  @ApiOperation({ summary: 'Finish a trial with its values, or as pruned / failed' })
  @ApiOkResponse({ type: TrialDto })
  @ApiProblems(400, 404, 409)
  tell(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('n') n: string,
    @Body() body: TellDto,
  ): Promise<TrialDto> {
    assertUuid(id);
    return this.external.tell(principal, id, trialNumber(n), body);
  }

  @Post('studies/:id/trials/:n/report')
  @HttpCode(200)
  @ApiOperation({ summary: 'Report an intermediate value; answers whether to prune' })
  @ApiOkResponse({ type: ReportResponseDto })
  @ApiProblems(400, 404, 409)
  report(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('n') n: string,
    @Body() body: ReportDto,
  ): Promise<ReportResponseDto> {
    assertUuid(id);
    return this.external.report(principal, id, trialNumber(n), body);
  }
}
