import { Controller, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, SiteApi } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ForbiddenError, NotFoundError, UnprocessableError } from '../platform/errors/domain-error';
import { confusionProblem } from './core/merge-evaluations';
import { ApiProblems } from '../platform/http/problem.dto';
import { assertUuid } from '../platform/jobs/jobs.service';
import { ApiSpecBody, SpecBody } from '../platform/validation/spec-body';
import {
  siteEvaluation,
  siteStats,
  siteUpdate,
  type SiteEvaluationReport,
  type SiteStatsReport,
  type SiteUpdate,
} from './site-api.schema';
import {
  SiteWorkRepository,
  type SiteBinding,
  type WorkItem,
} from './storage/site-work.repository';
import { classStatsProblem } from './core/ccvr-protocol';
import { statsBuffer } from './pooled-placement';
import { splitsOf } from '../datasets/core/dataset-codec';
import { MODEL_REGISTRY, type TrainingRegistryPort } from '../registry/model-registry.port';
import { encodeSharedSet, type SharedSetBody } from './shared-set-codec';
import type { RemoteModelTask } from './remote-placement';
import { isFinishedStatus } from '../platform/jobs/job-status';

/**
 * The remote sites' API (`site` keys only, @SiteApi): an agent pulls its next work item with the
 * global weights and posts its update or evaluation. A key sees only its own federation site.
 */
@ApiTags('collab')
@ApiBearerAuth()
@SiteApi()
@Controller('v1/site')
export class SiteApiController {
  constructor(
    private readonly work: SiteWorkRepository,
    @Inject(MODEL_REGISTRY) private readonly registry: TrainingRegistryPort,
  ) {}

  @Get('work')
  @ApiOperation({
    summary: 'A site agent’s next work item (204: none yet; 410: the federation is over)',
  })
  @ApiResponse({
    status: 200,
    description: '{id, kind, round, attempt, task, global (base64 float32)}',
  })
  @ApiProblems(403)
  async next(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) res: Response) {
    const binding = await this.binding(principal);
    const status = await this.work.federationStatus(binding.federationId);
    if (status === null || isFinishedStatus(status)) {
      res.status(410);
      return { federationId: binding.federationId, status };
    }
    const w = await this.work.take(binding.federationId, binding.site);
    if (!w) {
      res.status(204);
      return undefined;
    }
    return {
      id: w.id,
      federationId: w.federationId,
      site: w.site,
      kind: w.kind,
      round: w.round,
      attempt: w.attempt,
      task: w.task,
      global: w.globalState.toString('base64'),
    };
  }

  @Get('work/:id/shared')
  @ApiOperation({
    summary:
      'The shared labelled set a train item trains on beside the site’s own data (federations with sharedDataset)',
  })
  @ApiResponse({
    status: 200,
    description: '{examples, classNames, shape, labels, pixels (base64 float32)}',
  })
  @ApiProblems(403, 404)
  async shared(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<SharedSetBody> {
    const { binding, item } = await this.item(principal, id, 'train');
    const datasetId = (item.task.model as RemoteModelTask | undefined)?.sharedDataset;
    if (!datasetId) throw new NotFoundError('shared set of work item', id);
    return encodeSharedSet(
      splitsOf(await this.registry.loadSplits(binding.projectId, datasetId)).train,
    );
  }

  @Post('work/:id/update')
  @HttpCode(204)
  @ApiOperation({
    summary: 'A train item’s answer: counts, losses and the weights of the declared shape',
  })
  @ApiSpecBody(siteUpdate)
  @ApiProblems(400, 403, 404, 409, 422)
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @SpecBody(siteUpdate) body: SiteUpdate,
  ): Promise<void> {
    const { binding, item } = await this.item(principal, id, 'train');
    const weights = Buffer.from(body.weights, 'base64');
    const sizes = ((item.task.model as { sizes?: number[] } | undefined)?.sizes ?? []) as number[];
    const expected = 4 * sizes.reduce((a, b) => a + b, 0);
    if (weights.byteLength !== expected)
      throw new UnprocessableError(
        `weights: ${weights.byteLength} bytes, the model's weights are ${expected}`,
        [
          {
            field: 'weights',
            message: `must decode to ${expected} bytes (float32 of the declared sizes)`,
          },
        ],
      );
    // SCAFFOLD (core/scaffold.ts): c_i+ - c_i of the same sizes rides after the weights.
    const scaffold = (item.task.plan as { scaffold?: boolean } | undefined)?.scaffold === true;
    if (scaffold !== (body.controlDelta !== undefined))
      throw new UnprocessableError(
        scaffold
          ? 'this federation runs SCAFFOLD: the update must carry controlDelta'
          : 'controlDelta belongs to SCAFFOLD federations only',
        [{ field: 'controlDelta', message: scaffold ? 'is required' : 'must be absent' }],
      );
    const delta = body.controlDelta ? Buffer.from(body.controlDelta, 'base64') : null;
    if (delta && delta.byteLength !== expected)
      throw new UnprocessableError(
        `controlDelta: ${delta.byteLength} bytes, the model's weights are ${expected}`,
        [{ field: 'controlDelta', message: `must decode to ${expected} bytes` }],
      );
    const { weights: _w, controlDelta: _c, ...report } = body;
    const shared = delta ? Buffer.concat([weights, delta]) : weights;
    if (!(await this.work.complete(id, binding, shared, report)))
      throw new UnprocessableError(
        `work item ${id} is not waiting for an answer (expired or answered)`,
      );
  }

  @Post('work/:id/stats')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'A stats item’s answer (classifierCalibration): per-class counts, feature means and covariances of the site’s training examples under the final model',
  })
  @ApiSpecBody(siteStats)
  @ApiProblems(400, 403, 404, 422)
  async stats(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @SpecBody(siteStats) body: SiteStatsReport,
  ): Promise<void> {
    const { binding, item } = await this.item(principal, id, 'stats');
    const k = ((item.task.model as { classNames?: unknown[] } | undefined)?.classNames ?? [])
      .length;
    const dim = Number(item.task.featureDim);
    const bytes = Buffer.from(body.moments, 'base64');
    if (bytes.byteLength % 4 !== 0)
      throw new UnprocessableError(`moments: ${bytes.byteLength} bytes is not float32`, [
        { field: 'moments', message: 'must decode to whole float32 values' },
      ]);
    const moments = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(moments.buffer).set(bytes);
    const problem = classStatsProblem(body.counts, moments, k, dim);
    if (problem) throw new UnprocessableError(problem);
    const stats = new Float32Array(k + moments.length);
    stats.set(body.counts);
    stats.set(moments, k);
    const samples = body.counts.reduce((a, b) => a + b, 0);
    if (!(await this.work.complete(id, binding, statsBuffer(stats), { samples })))
      throw new UnprocessableError(
        `work item ${id} is not waiting for an answer (expired or answered)`,
      );
  }

  @Post('work/:id/evaluation')
  @HttpCode(204)
  @ApiOperation({ summary: 'An evaluate item’s answer: the global model on the site’s test split' })
  @ApiSpecBody(siteEvaluation)
  @ApiProblems(400, 403, 404, 422)
  async evaluation(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @SpecBody(siteEvaluation) body: SiteEvaluationReport,
  ): Promise<void> {
    const { binding, item } = await this.item(principal, id, 'evaluate');
    const { confusion, ...report } = body;
    if (confusion) checkConfusion(confusion, item.task, report.count);
    if (!(await this.work.complete(id, binding, null, report, confusion ?? null)))
      throw new UnprocessableError(
        `work item ${id} is not waiting for an answer (expired or answered)`,
      );
  }

  private async binding(principal: Principal): Promise<SiteBinding> {
    const b = await this.work.bindingOf(principal.keyId);
    if (!b || b.projectId !== principal.projectId)
      throw new ForbiddenError('this site key belongs to no federation site');
    return b;
  }

  private async item(principal: Principal, id: string, kind: WorkItem['kind']) {
    assertUuid(id);
    const binding = await this.binding(principal);
    const item = await this.work.findForSite(id, binding);
    if (!item || item.kind !== kind) throw new NotFoundError(`${kind} work item`, id);
    return { binding, item };
  }
}

/** A k x k matrix of counts in the federation's classes that adds up to the evaluated count. */
function checkConfusion(m: number[][], task: Record<string, unknown>, count: number): void {
  const k = ((task.model as { classNames?: unknown[] } | undefined)?.classNames ?? []).length;
  const problem = confusionProblem(m, k, count);
  if (problem) throw new UnprocessableError(problem);
}
