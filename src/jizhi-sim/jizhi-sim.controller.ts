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
import { CurrentPrincipal } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ApiProblems } from '../platform/http/problem.dto';
import { IDEMPOTENCY_HEADER } from '../platform/jobs/jobs.controller';
import { assertIdempotencyKey } from '../platform/jobs/jobs.service';
import { ApiSpecBody, SpecBody } from '../platform/validation/spec-body';
import type { RingRequest } from './core/ring';
import { RingTableDto } from './ring.dto';
import { SimValidateResponseDto, simJobFields } from './sim-job.dto';
import { ringRequest, simulateSpec, tuneSpec } from './sim-specs.schema';
import { SimulationDto, SimulationResultDto } from './simulations.dto';
import { TuneResultDto, TuningDto } from './tunings.dto';
import { JizhiSimService } from './jizhi-sim.service';

/*
 * Request bodies are described by the job kinds' schemas (sim-specs.schema.ts). The simulation
 * and tuning bodies are validated once, by the kind's handler inside JizhiSimService (schema,
 * defaults and the simulator's checks; `:validate` answers its problems as {valid, problems}),
 * so the routes take them as plain JSON; the ring body is parsed here.
 */

@ApiTags('jizhi-sim')
@ApiBearerAuth()
@Controller('v1')
export class SimulationValidateController {
  constructor(private readonly sim: JizhiSimService) {}

  // Google AIP-136 custom method (as studies:validate); the colon is escaped for Express 5.
  @Post('simulations\\:validate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check a simulation request (pipeline, traffic, duration) without queueing it',
    description:
      'Answers 200 with {valid, problems}; each problem names its field and its kind: ' +
      '`validation` (a 400 on POST /v1/simulations) or `unprocessable` (a 422, e.g. an unstable stage).',
  })
  @ApiSpecBody(simulateSpec)
  @ApiOkResponse({ type: SimValidateResponseDto })
  @ApiProblems(400, 413)
  validate(@Body() body: unknown): SimValidateResponseDto {
    return this.sim.validate('simulate', body);
  }

  @Post('tunings\\:validate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check a tuning request (pipeline, traffic, SLO, space, budget) without queueing it',
    description:
      'Answers 200 with {valid, problems}, as POST /v1/simulations:validate does for simulations: ' +
      'the same rules as POST /v1/tunings (unknown keys, the space against the pipeline, ...).',
  })
  @ApiSpecBody(tuneSpec)
  @ApiOkResponse({ type: SimValidateResponseDto })
  @ApiProblems(400, 413)
  validateTuning(@Body() body: unknown): SimValidateResponseDto {
    return this.sim.validate('tune', body);
  }
}

@ApiTags('jizhi-sim')
@ApiBearerAuth()
@Controller('v1/simulations')
export class SimulationsController {
  constructor(private readonly sim: JizhiSimService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Simulate a serving pipeline under a traffic model (queues a `simulate` job)',
    description:
      'Malformed pipelines (missing fields, unknown stage references, cycles, negative rates) ' +
      'are 400 naming the field; an unstable system (offered load >= capacity at a stage ' +
      'without load shedding) is 422 naming the stage.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiSpecBody(simulateSpec)
  @ApiAcceptedResponse({ type: SimulationDto })
  @ApiProblems(400, 409, 413, 422)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<SimulationDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    const job = await this.sim.submit(principal, 'simulate', body, key);
    return { ...simJobFields(job, []), result: null };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'A simulation: status, progress and, once done, its result and chart URLs',
  })
  @ApiOkResponse({ type: SimulationDto })
  @ApiProblems(400, 404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<SimulationDto> {
    const { job, artifacts } = await this.sim.get(principal, 'simulate', id);
    return {
      ...simJobFields(job, artifacts),
      result: job.status === 'succeeded' ? (job.result as SimulationResultDto) : null,
    };
  }
}

@ApiTags('jizhi-sim')
@ApiBearerAuth()
@Controller('v1/tunings')
export class TuningsController {
  constructor(private readonly sim: JizhiSimService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Tune the serving config of a pipeline against an SLO (queues a `tune` job)',
    description:
      'Searches stage instances, batch size and delay, cache size and cut-off threshold with ' +
      'the search engine (TPE, NSGA-II, random, grid) by simulation; the pipeline must be ' +
      'valid and stable as given (it is the current config the result compares with).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiSpecBody(tuneSpec)
  @ApiAcceptedResponse({ type: TuningDto })
  @ApiProblems(400, 409, 413, 422)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<TuningDto> {
    const key = assertIdempotencyKey(idempotencyKey);
    const job = await this.sim.submit(principal, 'tune', body, key);
    return { ...simJobFields(job, []), result: null };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'A tuning: best config, Pareto front, comparison with the current config',
  })
  @ApiOkResponse({ type: TuningDto })
  @ApiProblems(400, 404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TuningDto> {
    const { job, artifacts } = await this.sim.get(principal, 'tune', id);
    return {
      ...simJobFields(job, artifacts),
      result: job.status === 'succeeded' ? (job.result as TuneResultDto) : null,
    };
  }
}

@ApiTags('jizhi-sim')
@ApiBearerAuth()
@Controller('v1/ring')
export class RingController {
  constructor(private readonly sim: JizhiSimService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Speedup of data-parallel training on a ring of n GPUs (iFlytek RSPS), synchronous',
    description:
      'T(n) = T_calc + (n-1)/n (2 T_transmit + T_merge), S(n) = n T_calc / T(n), and the same ' +
      'ring simulated with log-normal jitter (jitterCv) to show the cost of stragglers.',
  })
  @ApiSpecBody(ringRequest)
  @ApiOkResponse({ type: RingTableDto })
  @ApiProblems(400)
  ring(@SpecBody(ringRequest) body: RingRequest): RingTableDto {
    return this.sim.ring(body);
  }
}
