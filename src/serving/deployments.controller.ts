import { Controller, Delete, Get, HttpCode, Param, Patch, Post, UseFilters } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, NotAudited } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ApiProblems } from '../platform/http/problem.dto';
import { ApiSpecBody, SpecBody } from '../platform/validation/spec-body';
import {
  createDeployment,
  type CreateDeployment,
  predictBody,
  type PredictBody,
  updateDeployment,
  type UpdateDeployment,
} from './deployments.schema';
import {
  type DeploymentView,
  DeploymentsService,
  type ServePrediction,
} from './deployments.service';
import { ShedFilter } from './shed.filter';

const PREDICTION = {
  description:
    '{deployment, model, prediction: {label, classIndex, probabilities}, output, queueMs, serviceMs, batchSize}',
};

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
  @NotAudited()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Predict one instance through the deployment’s batcher',
    description: '429 (queue full) and 503 (queue timeout or deadline) carry Retry-After.',
  })
  @ApiSpecBody(predictBody)
  @ApiOkResponse(PREDICTION)
  @ApiProblems(400, 404, 429, 503)
  predict(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @SpecBody(predictBody) body: PredictBody,
  ): Promise<ServePrediction> {
    return this.deployments.predict(principal, id, body);
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
  @NotAudited()
  @HttpCode(200)
  @ApiOperation({ summary: 'Predict one instance through the deployment of this name' })
  @ApiSpecBody(predictBody)
  @ApiOkResponse(PREDICTION)
  @ApiProblems(400, 404, 429, 503)
  predict(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @SpecBody(predictBody) body: PredictBody,
  ): Promise<ServePrediction> {
    return this.deployments.predict(principal, name, body);
  }
}
