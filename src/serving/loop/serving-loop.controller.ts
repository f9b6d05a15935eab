import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal } from '../../platform/auth/auth.guard';
import type { Principal } from '../../platform/auth/projects.service';
import { IdempotencyKeyHeader } from '../../platform/http/idempotency-key';
import { ApiProblems } from '../../platform/http/problem.dto';
import { IDEMPOTENCY_HEADER } from '../../platform/jobs/jobs.controller';
import { assertIdempotencyKey } from '../../platform/jobs/jobs.service';
import { ApiSpecBody, SpecBody } from '../../platform/validation/spec-body';
import type { DeploymentView } from '../deployments.service';
import {
  type ApplyBody,
  type ProfileBody,
  type TuneBody,
  applyBody,
  profileBody,
  tuneBody,
} from './serving-loop.schema';
import { type LoopJobView, ServingLoopService } from './serving-loop.service';

/** Profile -> simulate -> tune -> apply on a deployment (id or name); docs/serving.md. */
@ApiTags('serving')
@ApiBearerAuth()
@Controller('v1/deployments')
export class ServingLoopController {
  constructor(private readonly loop: ServingLoopService) {}

  @Post(':id/profile')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Profile the service time per batch size on this host (a `deployment-profile` job)',
    description:
      'Warm-up, then samples per batch size until the p99’s 95% bootstrap CI is within targetRelCi; the profile is stored and GET /v1/deployments/:id/profile shows it with the simulator’s pipeline.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiSpecBody(profileBody)
  @ApiAcceptedResponse({ description: 'The queued job' })
  @ApiProblems(400, 404, 409)
  profile(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @SpecBody(profileBody) body: ProfileBody,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<LoopJobView> {
    return this.loop.profile(principal, id, body, assertIdempotencyKey(idempotencyKey));
  }

  @Get(':id/profile')
  @ApiOperation({
    summary: 'The newest profile and the simulator’s pipeline of the deployment as configured',
  })
  @ApiOkResponse({ description: 'The profile' })
  @ApiProblems(404)
  latestProfile(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.loop.latestProfile(principal, id);
  }

  @Get(':id/jobs')
  @ApiOperation({
    summary: 'The deployment’s profile and tune jobs, newest first (at most 20)',
    description:
      'Each with status, progress, message and result (a tune job’s result holds the chosen config and the predicted latency).',
  })
  @ApiOkResponse({ description: '{items: job[]}' })
  @ApiProblems(404)
  jobs(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<{ items: LoopJobView[] }> {
    return this.loop.jobsOf(principal, id);
  }

  @Post(':id/tune')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Find the cheapest config meeting an SLO by simulation (a `deployment-tune` job)',
    description:
      'Searches instances, batch.maxSize (the profiled sizes) and batch.maxDelayMs with the JIZHI tuner on the newest profile (or `profile`), under `traffic` (poisson, diurnal, mmpp or a replayed trace); 409 when the deployment has no profile.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiSpecBody(tuneBody)
  @ApiAcceptedResponse({ description: 'The queued job' })
  @ApiProblems(400, 404, 409)
  tune(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @SpecBody(tuneBody) body: TuneBody,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<LoopJobView> {
    return this.loop.tune(principal, id, body, assertIdempotencyKey(idempotencyKey));
  }

  @Post(':id/apply')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Roll a tuned config (`tuning`: a deployment-tune job) or a given `config` onto the deployment',
    description: 'The same change as PATCH: waiting and running requests are kept.',
  })
  @ApiSpecBody(applyBody)
  @ApiOkResponse({ description: 'The deployment' })
  @ApiProblems(400, 404, 409, 422)
  apply(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @SpecBody(applyBody) body: ApplyBody,
  ): Promise<DeploymentView> {
    return this.loop.apply(principal, id, body);
  }
}
