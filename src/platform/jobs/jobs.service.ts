import * as crypto from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ArtifactStore } from '../artifacts/artifact-store';
import { ArtifactsRepository, type ArtifactListing } from '../artifacts/artifacts.repository';
import { Principal } from '../auth/projects.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ConflictError, NotFoundError, ValidationError } from '../errors/domain-error';
import { JobHandlerRegistry } from './job-handler.registry';
import { FINISHED_STATUSES, JobEntity } from './job.entity';
import {
  JobsRepository,
  type JobEventRecord,
  type JobListFilter,
  type MetricPoint,
} from './jobs.repository';

export interface SubmitOptions {
  priority?: number;
  maxAttempts?: number;
  parentId?: string | null;
  idempotencyKey?: string | null;
}

/**
 * The UUID string form of RFC 9562 section 4 (32 hex digits, 8-4-4-4-12), whatever the version
 * and variant: the Nil (all zeros, section 5.9) and Max (section 5.10) UUIDs are valid too, and
 * PostgreSQL's uuid type takes them all. A well-formed id that names nothing is a 404, not a 400.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function assertUuid(id: string, field = 'id'): void {
  if (!UUID.test(id))
    throw ValidationError.field(field, `must be a UUID, got "${id.slice(0, 60)}"`);
}

export function assertIdempotencyKey(key: string | undefined): string | null {
  if (key === undefined) return null;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw ValidationError.field('Idempotency-Key', 'must be 1-255 visible ASCII characters');
  }
  return key;
}

/**
 * Job rules shared by the generic jobs API and the capabilities' typed endpoints: validation at
 * enqueue, idempotency, project scoping, which transitions a caller may ask for. The SQL is
 * JobsRepository's and ArtifactsRepository's.
 */
@Injectable()
export class JobsService {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly artifactRows: ArtifactsRepository,
    private readonly registry: JobHandlerRegistry,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'maxAttempts'>,
    readonly store: ArtifactStore,
  ) {}

  /**
   * Validates the spec for its kind and queues the job. With an Idempotency-Key the same key
   * returns the same job; reusing a key for a different request is a 409. `manager` lets a
   * capability insert its own rows and the job in one transaction.
   */
  async submit(
    principal: Principal,
    kind: string,
    rawSpec: unknown,
    options: SubmitOptions = {},
    manager?: EntityManager,
  ): Promise<{ job: JobEntity; created: boolean }> {
    const spec = await this.registry.resolveReferences(
      principal.projectId,
      kind,
      this.registry.validate(kind, rawSpec ?? {}),
    );
    const requestHash = crypto
      .createHash('sha256')
      .update(JSON.stringify([kind, spec, options.priority ?? 0, options.maxAttempts ?? null]))
      .digest('hex');
    if (options.idempotencyKey) {
      const existing = await this.jobs.findByIdempotencyKey(
        principal.projectId,
        options.idempotencyKey,
      );
      if (existing) return { job: this.sameRequest(existing, requestHash), created: false };
    }
    try {
      const job = await this.jobs.insert(
        {
          projectId: principal.projectId,
          kind,
          spec,
          priority: options.priority,
          maxAttempts: options.maxAttempts ?? this.config.maxAttempts,
          parentId: options.parentId,
          idempotencyKey: options.idempotencyKey,
          requestHash,
        },
        manager,
      );
      return { job, created: true };
    } catch (error) {
      // Two concurrent requests with one key: the loser returns the winner's job.
      if (options.idempotencyKey && (error as { code?: string }).code === '23505') {
        const existing = await this.jobs.findByIdempotencyKey(
          principal.projectId,
          options.idempotencyKey,
        );
        if (existing) return { job: this.sameRequest(existing, requestHash), created: false };
      }
      throw error;
    }
  }

  /**
   * A validated spec of `kind` with its model and data set references resolved to ids (what
   * `submit` stores), for a capability that opens them before queueing.
   */
  resolveReferences(principal: Principal, kind: string, spec: unknown): Promise<unknown> {
    return this.registry.resolveReferences(principal.projectId, kind, spec);
  }

  async get(principal: Principal, id: string): Promise<JobEntity> {
    assertUuid(id);
    const job = await this.jobs.findInProject(principal.projectId, id);
    if (!job) throw new NotFoundError('job', id);
    return job;
  }

  list(
    principal: Principal,
    filter: JobListFilter,
  ): Promise<{ items: JobEntity[]; total: number }> {
    return this.jobs.list(principal.projectId, filter);
  }

  /** Queued jobs are cancelled at once; running ones are asked to stop (worker sees it within a heartbeat). */
  async cancel(principal: Principal, id: string): Promise<JobEntity> {
    const job = await this.get(principal, id);
    if (FINISHED_STATUSES.includes(job.status)) {
      throw new ConflictError(
        `job ${id} is already ${job.status}; only queued or running jobs can be cancelled`,
      );
    }
    await this.jobs.requestCancel(id);
    return this.get(principal, id);
  }

  /** A failed or cancelled job runs again from scratch with a fresh attempt budget. */
  async retry(principal: Principal, id: string): Promise<JobEntity> {
    const job = await this.get(principal, id);
    if (job.status !== 'failed' && job.status !== 'cancelled') {
      throw new ConflictError(
        `job ${id} is ${job.status}; only failed or cancelled jobs can be retried`,
      );
    }
    await this.jobs.retry(id);
    return this.get(principal, id);
  }

  async events(
    principal: Principal,
    id: string,
    after = 0,
    limit = 200,
  ): Promise<JobEventRecord[]> {
    await this.get(principal, id);
    return this.jobs.events(id, after, limit);
  }

  async metrics(principal: Principal, id: string, name?: string): Promise<MetricPoint[]> {
    await this.get(principal, id);
    return this.jobs.metrics(id, name);
  }

  async artifacts(principal: Principal, id: string): Promise<ArtifactListing[]> {
    await this.get(principal, id);
    return this.artifactRows.listOfJob(id);
  }

  async artifactFile(principal: Principal, id: string, name: string) {
    await this.get(principal, id);
    const row = await this.artifactRows.findOfJob(id, name);
    if (!row) throw new NotFoundError('artifact', `${id}/${name}`);
    return { file: this.store.resolve(row.path), contentType: row.contentType, size: row.size };
  }

  private sameRequest(existing: JobEntity, requestHash: string): JobEntity {
    if (existing.requestHash !== requestHash) {
      throw new ConflictError('Idempotency-Key was already used for a different request');
    }
    return existing;
  }
}
