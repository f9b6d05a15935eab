import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  applyDecorators,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, NotAudited } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ApiProblems } from '../platform/http/problem.dto';
import { ApiSpecBody, SpecBody } from '../platform/validation/spec-body';
import {
  createDeployment,
  type CreateDeployment,
  predictBody,
  updateDeployment,
  type UpdateDeployment,
} from './deployments.schema';
import { type DeploymentView, DeploymentsService } from './deployments.service';
import { FLOAT32_ROWS } from './core/binary-rows';
import { sendPrediction } from './predict-input';
import { ShedFilter } from './shed.filter';

const PREDICTION = {
  description:
    'JSON body: {deployment, model, prediction: {label, classIndex, probabilities}, output, queueMs, serviceMs, batchSize}; ' +
    'binary body: {deployment, model, items: [{prediction, output, queueMs, serviceMs, batchSize}]} (one per row). ' +
    'With `Accept: application/octet-stream`: the output rows as little-endian float32, with X-Rows, X-Output-Size, ' +
    'X-Class-Index, X-Queue-Ms, X-Service-Ms and X-Batch-Size (comma-separated, one per row).',
};

/** What both predict routes document: JSON or binary rows in, JSON or binary rows out. */
function PredictRoute(summary: string): MethodDecorator {
  return applyDecorators(
    NotAudited(),
    HttpCode(200),
    ApiOperation({
      summary,
      description:
        'Body: JSON `{instance, deadlineMs?}`, or `application/octet-stream`: little-endian float32 rows of the ' +
        'model’s input size (rows = bytes / (4 x input size); any other length is a 400 naming the size), each row ' +
        'a request through the batcher. 429 (queue full) and 503 (queue timeout or deadline) carry Retry-After.',
    }),
    ApiConsumes('application/json', FLOAT32_ROWS),
    ApiProduces('application/json', FLOAT32_ROWS),
    ApiQuery({
      name: 'deadlineMs',
      required: false,
      type: Number,
      description: 'binary bodies: drop a row (503) that has not reached an instance by then',
    }),
    ApiSpecBody(predictBody),
    ApiOkResponse(PREDICTION),
    ApiProblems(400, 404, 415, 429, 503),
  );
}

/** Deployments: a registered model served behind a dynamic batcher (docs/serving.md). */
@ApiTags('serving')
@ApiBearerAuth()
@Controller('v1/deployments')
@UseFilters(ShedFilter)
export class DeploymentsController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Post()
  @ApiOperation({
    summary: 'Deploy a registered model: N instances behind a dynamic batcher',
    description:
      'Answers 201 once the instances hold the model. The deployment is served at POST /v1/deployments/:id/predict and POST /v1/serve/:name/predict.',
  })
  @ApiSpecBody(createDeployment)
  @ApiCreatedResponse({ description: 'The deployment with its status' })
  @ApiProblems(400, 404, 409, 503)
  create(
    @CurrentPrincipal() principal: Principal,
    @SpecBody(createDeployment) body: CreateDeployment,
  ): Promise<DeploymentView> {
    return this.deployments.create(principal, body);
  }

  @Get()
  @ApiOperation({
    summary: 'The project’s deployments with their status',
    description: 'Each with status.metrics and status.rates as GET /v1/deployments/:id shows them.',
  })
  @ApiOkResponse({ description: '{items: deployment[]}' })
  @ApiProblems()
  async list(@CurrentPrincipal() principal: Principal): Promise<{ items: DeploymentView[] }> {
    return { items: await this.deployments.list(principal) };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'A deployment (id or name) with its live metrics',
    description:
      'status.metrics: queue length, instances, batch-size histogram, service time per batch size, latency quantiles (over the last 8192 served requests), counts of served and dropped requests by reason. status.rates: served and dropped requests per second over the last ~10 s (windowS). Both are absent on Kubernetes, where each pod serves /metrics.',
  })
  @ApiOkResponse({ description: 'The deployment' })
  @ApiProblems(404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<DeploymentView> {
    return this.deployments.get(principal, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Scale instances or change batching and queue settings',
    description:
      'Waiting and running requests are kept: new instances join once warmed, removed ones finish their batch.',
  })
  @ApiSpecBody(updateDeployment)
  @ApiOkResponse({ description: 'The deployment' })
  @ApiProblems(400, 404, 503)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @SpecBody(updateDeployment) body: UpdateDeployment,
  ): Promise<DeploymentView> {
    return this.deployments.update(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop and delete a deployment' })
  @ApiNoContentResponse()
  @ApiProblems(404)
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.deployments.remove(principal, id);
  }

  @Post(':id/predict')
  @PredictRoute('Predict through the deployment’s batcher (one JSON instance or binary rows)')
  async predict(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
    @Query('deadlineMs') deadlineMs: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return sendPrediction(this.deployments, principal, id, body, deadlineMs, req, res);
  }
}

/** The stable path of a deployment: its name, whatever its id. */
@ApiTags('serving')
@ApiBearerAuth()
@Controller('v1/serve')
@UseFilters(ShedFilter)
export class ServeController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Post(':name/predict')
  @PredictRoute('Predict through the deployment of this name (one JSON instance or binary rows)')
  async predict(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Body() body: unknown,
    @Query('deadlineMs') deadlineMs: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return sendPrediction(this.deployments, principal, name, body, deadlineMs, req, res);
  }
}
