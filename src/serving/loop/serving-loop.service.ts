import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../../platform/auth/projects.service';
import {
  ConflictError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../../platform/errors/domain-error';
import type { JobEntity } from '../../platform/jobs/job.entity';
import { JobsService } from '../../platform/jobs/jobs.service';
import {
  DeploymentConfig,
  eventLoopCapacityRps,
  servedCapacityRps,
  servingPipeline,
} from '../core/serving-pipeline';
import { DeploymentsService, type DeploymentView } from '../deployments.service';
import type { DeploymentProfileEntity } from './deployment-profile.entity';
import { DeploymentProfilesRepository } from './deployment-profiles.repository';
import { DeploymentProfileHandler } from './profile.handler';
import { ApplyBody, ProfileBody, TuneBody } from './serving-loop.schema';
import type { TuneJobResult } from './tune.handler';
import { DeploymentTuneHandler } from './tune.handler';

const LOOP_KINDS = ['deployment-profile', 'deployment-tune'] as const;
const LOOP_JOBS_SCANNED = 200;
const LOOP_JOBS_SHOWN = 20;

/** A job of the loop as the REST answers show it (the full job is at /v1/jobs/:id). */
export interface LoopJobView {
  id: string;
  kind: string;
  status: string;
  progress: number;
  message: string | null;
  error: string | null;
  result: unknown;
  createdAt: Date;
  links: { job: string; events: string };
}

/**
 * Profile -> simulate -> tune -> apply on a deployment (docs/serving.md). Profiling and tuning
 * are jobs (`deployment-profile`, `deployment-tune`) whose specs carry what the worker needs (the
 * deployment's model and config, the profile id), so a worker reads nothing of the deployments
 * table; apply is a PATCH of the deployment with the tuned config.
 */
@Injectable()
export class ServingLoopService {
  constructor(
    private readonly deployments: DeploymentsService,
    private readonly profiles: DeploymentProfilesRepository,
    @Inject(JobsService) private readonly jobs: Pick<JobsService, 'submit' | 'get' | 'list'>,
    private readonly profileHandler: DeploymentProfileHandler,
    private readonly tuneHandler: DeploymentTuneHandler,
  ) {}

  async profile(
    principal: Principal,
    ref: string,
    body: ProfileBody,
    idempotencyKey: string | null,
  ): Promise<LoopJobView> {
    const d = await this.deployments.get(principal, ref);
    const spec = this.profileHandler.validate({
      deployment: { id: d.id, modelId: d.model.id, config: configOf(d) },
      options: body,
      ...(d.requestPath
        ? {
            // The loop's time on the requests' path (the union of their stamped intervals, as
            // the HTTP bench calibrates it) where the meter has it, else its busy time.
            requestPath: {
              eventLoopMs: d.requestPath.onPath?.eventLoopMs || d.requestPath.eventLoopMs,
              ...(d.requestPath.onPath && d.requestPath.onPath.eventLoopMs > 0
                ? {
                    perBatchMs: d.requestPath.onPath.perBatchMs,
                    batchSize: d.requestPath.onPath.batchSize,
                  }
                : d.requestPath.perBatchMs !== undefined && d.requestPath.batchSize !== undefined
                  ? { perBatchMs: d.requestPath.perBatchMs, batchSize: d.requestPath.batchSize }
                  : {}),
              ...(d.requestPath.wakeDelayMs !== undefined
                ? { wakeDelayMs: d.requestPath.wakeDelayMs }
                : {}),
              ...(d.requestPath.handoffMs !== undefined
                ? { handoffMs: d.requestPath.handoffMs }
                : {}),
            },
          }
        : {}),
    });
    const { job } = await this.jobs.submit(principal, 'deployment-profile', spec, {
      idempotencyKey,
    });
    return jobView(job);
  }

  /** The newest profile with the simulator's pipeline of the deployment as configured now. */
  async latestProfile(principal: Principal, ref: string) {
    const d = await this.deployments.get(principal, ref);
    const row = await this.profiles.latest(principal.projectId, d.id);
    if (!row) throw new NotFoundError('deployment profile of', d.name);
    return profileView(row, configOf(d));
  }

  async tune(
    principal: Principal,
    ref: string,
    body: TuneBody,
    idempotencyKey: string | null,
  ): Promise<LoopJobView> {
    const d = await this.deployments.get(principal, ref);
    const row = body.profile
      ? await this.profiles.byId(principal.projectId, body.profile)
      : await this.profiles.latest(principal.projectId, d.id);
    if (body.profile && (!row || row.deploymentId !== d.id))
      throw new NotFoundError('deployment profile', body.profile);
    if (!row)
      throw new ConflictError(
        `deployment ${d.name} has no profile yet: POST /v1/deployments/${d.id}/profile first`,
      );
    const spec = this.tuneHandler.validate({
      deployment: { id: d.id },
      profileId: row.id,
      request: body,
    });
    const { job } = await this.jobs.submit(principal, 'deployment-tune', spec, {
      idempotencyKey,
    });
    return jobView(job);
  }

  /**
   * The deployment's profile and tune jobs, newest first (the console's links and latest tuning).
   * Read from the newest LOOP_JOBS_SCANNED jobs of each kind in the project: the jobs table has
   * no index on the spec's deployment, and older loop jobs are history, not what a page shows.
   */
  async jobsOf(principal: Principal, ref: string): Promise<{ items: LoopJobView[] }> {
    const d = await this.deployments.get(principal, ref);
    const pages = await Promise.all(
      LOOP_KINDS.map((kind) => this.jobs.list(principal, { kind, limit: LOOP_JOBS_SCANNED })),
    );
    const items = pages
      .flatMap((p) => p.items)
      .filter((j) => (j.spec as { deployment?: { id?: unknown } } | null)?.deployment?.id === d.id)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, LOOP_JOBS_SHOWN);
    return { items: items.map(jobView) };
  }

  /** Rolls a tuned (or given) config onto the deployment: its PATCH, in-flight requests kept. */
  async apply(principal: Principal, ref: string, body: ApplyBody): Promise<DeploymentView> {
    const d = await this.deployments.get(principal, ref);
    if ((body.tuning === undefined) === (body.config === undefined))
      throw ValidationError.field('tuning', 'give exactly one of tuning (a job id) or config');
    let config = body.config;
    if (body.tuning !== undefined) {
      let job: JobEntity;
      try {
        job = await this.jobs.get(principal, body.tuning);
      } catch (e) {
        if (e instanceof NotFoundError) throw new NotFoundError('deployment tuning', body.tuning);
        throw e;
      }
      if (job.kind !== 'deployment-tune') throw new NotFoundError('deployment tuning', body.tuning);
      const result = job.result as TuneJobResult | null;
      if (job.status !== 'succeeded' || !result)
        throw new ConflictError(`tuning ${job.id} is ${job.status}, not succeeded`);
      if (result.deploymentId !== d.id)
        throw new UnprocessableError(
          `tuning ${job.id} was made for deployment ${result.deploymentId}, not ${d.id}`,
          [{ field: 'tuning', message: 'belongs to another deployment' }],
        );
      if (!result.config)
        throw new UnprocessableError(
          `tuning ${job.id} found no configuration meeting the SLO; nothing to apply`,
          [{ field: 'tuning', message: 'no feasible configuration' }],
        );
      config = result.config;
    }
    const c = config as DeploymentConfig;
    return this.deployments.update(principal, d.id, {
      instances: c.instances,
      batch: { maxSize: c.batch.maxSize, maxDelayMs: c.batch.maxDelayMs },
      // 0 keeps the deployment's own limit (the tuner sizes the capacity; timeouts are the user's).
      queue: {
        ...(c.queue.capacity > 0 ? { capacity: c.queue.capacity } : {}),
        ...(c.queue.timeoutMs > 0 ? { timeoutMs: c.queue.timeoutMs } : {}),
      },
    });
  }
}

function configOf(d: DeploymentView): DeploymentConfig {
  return {
    instances: d.instances,
    batch: { maxSize: d.batch.maxSize, maxDelayMs: d.batch.maxDelayMs },
    queue: { capacity: d.queue.capacity, timeoutMs: d.queue.timeoutMs },
  };
}

function jobView(job: JobEntity): LoopJobView {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    progress: job.progress,
    message: job.progressMessage,
    error: job.error,
    result: job.result,
    createdAt: job.createdAt,
    links: { job: `/v1/jobs/${job.id}`, events: `/v1/jobs/${job.id}/events` },
  };
}

function profileView(row: DeploymentProfileEntity, current: DeploymentConfig) {
  const profile = {
    rows: row.rows,
    rule: row.rule,
    capacityPerInstanceRps: Math.max(...row.rows.map((r) => (r.batchSize / r.meanMs) * 1000)),
  };
  const covered = row.rows.some((r) => r.batchSize >= current.batch.maxSize);
  return {
    id: row.id,
    deploymentId: row.deploymentId,
    modelId: row.modelId,
    createdAt: row.createdAt,
    backend: row.backend,
    rule: row.rule,
    rows: row.rows.map(({ latenciesMs, ...r }) => ({ ...r, samples: latenciesMs.length })),
    overheads: row.overheads,
    profiledConfig: row.profiledConfig,
    capacityPerInstanceRps: profile.capacityPerInstanceRps,
    /** The API's event loop's capacity at the deployment's maxSize; null: no request path measured. */
    eventLoopCapacityRps: finiteOrNull(eventLoopCapacityRps(row.overheads, current.batch.maxSize)),
    /**
     * The smaller of the instances' and the event loop's; null when the deployment's maxSize is
     * beyond the profiled sizes (profile again).
     */
    capacityRps: covered ? servedCapacityRps(profile, current, row.overheads) : null,
    pipeline: covered ? servingPipeline(profile, current, row.overheads) : null,
  };
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
