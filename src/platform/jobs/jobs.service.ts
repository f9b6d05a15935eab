import * as crypto from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ArtifactStore } from '../artifacts/artifact-store';
import { Principal } from '../auth/projects.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ConflictError, NotFoundError, ValidationError } from '../errors/domain-error';
import { JobHandlerRegistry } from './job-handler.registry';
import { JobQueue } from './job-queue';
import { FINISHED_STATUSES, JobEntity, JobStatus } from './job.entity';

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

/** Job rules shared by the generic jobs API and the capabilities' typed endpoints. */
@Injectable()
export class JobsService {
  readonly queue: JobQueue;
  readonly store: ArtifactStore;

  constructor(
    private readonly db: DataSource,
    private readonly registry: JobHandlerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    store: ArtifactStore,
  ) {
    this.queue = new JobQueue(db);
    this.store = store;
  }

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
      const existing = await this.findByIdempotencyKey(principal.projectId, options.idempotencyKey);
      if (existing) return { job: this.sameRequest(existing, requestHash), created: false };
    }
    try {
      const job = await this.queue.insert(
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
        const existing = await this.findByIdempotencyKey(
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
    const job = await this.db
      .getRepository(JobEntity)
      .findOneBy({ id, projectId: principal.projectId });
    if (!job) throw new NotFoundError('job', id);
    return job;
  }

  async list(
    principal: Principal,
    filter: {
      kind?: string;
      status?: JobStatus;
      limit?: number;
      offset?: number;
      parentId?: string;
    },
  ): Promise<{ items: JobEntity[]; total: number }> {
    const [items, total] = await this.db.getRepository(JobEntity).findAndCount({
      where: {
        projectId: principal.projectId,
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.parentId ? { parentId: filter.parentId } : {}),
      },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: filter.limit ?? 50,
      skip: filter.offset ?? 0,
    });
    return { items, total };
  }

  /** Queued jobs are cancelled at once; running ones are asked to stop (worker sees it within a heartbeat). */
  async cancel(principal: Principal, id: string): Promise<JobEntity> {
    const job = await this.get(principal, id);
    if (FINISHED_STATUSES.includes(job.status)) {
      throw new ConflictError(
        `job ${id} is already ${job.status}; only queued or running jobs can be cancelled`,
      );
    }
    await this.db.query(
      `WITH c AS (
         UPDATE jobs SET cancel_requested_at = COALESCE(cancel_requested_at, now()),
                status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
                finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END,
                updated_at = now()
          WHERE id = $1 AND status IN ('queued', 'running') RETURNING id, status, attempts)
       INSERT INTO job_events (job_id, type, level, message, attempt)
       SELECT id, 'status', 'warn', CASE WHEN status = 'cancelled' THEN 'cancelled' ELSE 'cancel requested' END, attempts FROM c`,
      [id],
    );
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
    await this.db.query(
      `WITH r AS (
         UPDATE jobs SET status = 'queued', attempts = 0, error = NULL, result = NULL, checkpoint = NULL,
                progress = 0, progress_message = NULL, cancel_requested_at = NULL, worker_id = NULL,
                external_id = NULL, heartbeat_at = NULL, started_at = NULL, finished_at = NULL, updated_at = now()
          WHERE id = $1 AND status IN ('failed', 'cancelled') RETURNING id)
       INSERT INTO job_events (job_id, type, message, attempt) SELECT id, 'status', 'queued: retry', 0 FROM r`,
      [id],
    );
    await this.db.query(`SELECT pg_notify('autodl_jobs', 'retry')`);
    return this.get(principal, id);
  }

  async events(principal: Principal, id: string, after = 0, limit = 200) {
    await this.get(principal, id);
    const rows: {
      id: string;
      type: string;
      level: string;
      message: string;
      attempt: number;
      created_at: Date;
    }[] = await this.db.query(
      `SELECT id, type, level, message, attempt, created_at FROM job_events
          WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [id, after, limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      type: r.type,
      level: r.level,
      message: r.message,
      attempt: r.attempt,
      time: r.created_at,
    }));
  }

  async metrics(principal: Principal, id: string, name?: string) {
    await this.get(principal, id);
    const rows: { name: string; step: number; value: number; time: Date }[] = await this.db.query(
      `SELECT name, step, value, time FROM metrics WHERE job_id = $1 AND ($2::text IS NULL OR name = $2)
        ORDER BY name, step`,
      [id, name ?? null],
    );
    return rows;
  }

  async artifacts(principal: Principal, id: string) {
    await this.get(principal, id);
    const rows: {
      name: string;
      size: string;
      sha256: string;
      content_type: string;
      created_at: Date;
    }[] = await this.db.query(
      `SELECT name, size, sha256, content_type, created_at FROM artifacts WHERE job_id = $1 ORDER BY name`,
      [id],
    );
    return rows.map((r) => ({
      name: r.name,
      size: Number(r.size),
      sha256: r.sha256,
      contentType: r.content_type,
      createdAt: r.created_at,
    }));
  }

  async artifactFile(principal: Principal, id: string, name: string) {
    await this.get(principal, id);
    const rows: { path: string; content_type: string; size: string }[] = await this.db.query(
      `SELECT path, content_type, size FROM artifacts WHERE job_id = $1 AND name = $2`,
      [id, name],
    );
    if (rows.length === 0) throw new NotFoundError('artifact', `${id}/${name}`);
    return {
      file: this.store.resolve(rows[0].path),
      contentType: rows[0].content_type,
      size: Number(rows[0].size),
    };
  }

  private async findByIdempotencyKey(projectId: string, key: string): Promise<JobEntity | null> {
    return this.db.getRepository(JobEntity).findOneBy({ projectId, idempotencyKey: key });
  }

  private sameRequest(existing: JobEntity, requestHash: string): JobEntity {
    if (existing.requestHash !== requestHash) {
      throw new ConflictError('Idempotency-Key was already used for a different request');
    }
    return existing;
  }
}
