/**
 * Study rules behind the REST API: create (with its driver job for a command runner), read,
 * stop, ask/tell/report for external programs, validate, importance. Every query is scoped to the
 * caller's project; everything else goes through the library Study over PgStudyStorage.
 */
import * as crypto from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Principal } from '../platform/auth/projects.service';
import { ProjectsRepository } from '../platform/auth/projects.repository';
import { atLeast } from '../platform/auth/roles';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../platform/errors/domain-error';
import { JobsService } from '../platform/jobs/jobs.service';
import { FrozenTrial, TellResult, paretoFront, parameterImportance } from './core';
import { AUTO_CHOICE } from './core/samplers/auto';
import { StudyStatus } from './storage/entities';
import {
  CreateStudyDto,
  ImportanceDto,
  ListStudiesQuery,
  ListTrialsQuery,
  ReportDto,
  StudyDto,
  StudyListDto,
  TellDto,
  TrialDto,
  TrialListDto,
  ValidateResponseDto,
} from './studies.dto';
import { StudyConfig, parseStudyConfig, studySeed, withSeed } from './core/config/study-config';
import { randomSeed } from './study-seed';
import { StudyRow, findStudyRow, loadStudy } from './study-loader';
import { StudyAnalyticsRepository } from './storage/study-analytics.repository';
import { trialRowDto } from './study-console.service';

/** Driver attempts: a study survives this many worker losses before it fails. */
const DRIVER_MAX_ATTEMPTS = 10;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class StudiesService {
  constructor(
    private readonly db: DataSource,
    private readonly jobs: JobsService,
  ) {}

  /**
   * A command runner executes code on the workers (sandboxed, docs/security.md): it needs a
   * member or admin key and a project with allowCommands on.
   */
  private async assertMayRunCommands(principal: Principal): Promise<void> {
    if (!atLeast(principal.role, 'member'))
      throw new ForbiddenError('running command trials needs a member or admin key');
    if (!(await new ProjectsRepository(this.db).allowsCommands(principal.projectId)))
      throw new ForbiddenError(
        `project "${principal.projectName}" does not allow command trials: an admin can enable ` +
          `them with PATCH /v1/projects/${principal.projectName} {"allowCommands": true}`,
      );
  }

  validate(body: CreateStudyDto): ValidateResponseDto {
    try {
      parseStudyConfig(withoutName(body));
      return { valid: true, problems: [] };
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return { valid: false, problems: e.problems };
    }
  }

  async create(
    principal: Principal,
    body: CreateStudyDto,
    idempotencyKey: string | null,
  ): Promise<{ study: StudyDto; created: boolean }> {
    const parsed = parseStudyConfig(withoutName(body));
    if (parsed.runner.type === 'command') await this.assertMayRunCommands(principal);
    if (parsed.warmStartFrom) await this.checkWarmStart(principal, parsed);
    // Hashed before the default seed is drawn: the same request with the same key is the same study.
    const requestHash = crypto
      .createHash('sha256')
      .update(JSON.stringify([body.name, parsed]))
      .digest('hex');
    const config = withSeed(parsed, randomSeed);
    if (idempotencyKey) {
      const existing = await this.byKey(principal, idempotencyKey, requestHash);
      if (existing) return { study: await this.get(principal, existing), created: false };
    }
    let id: string;
    try {
      id = await this.db.transaction(async (manager) => {
        const rows: { id: string }[] = await manager.query(
          `INSERT INTO studies (project_id, name, directions, config, max_trials, idempotency_key, request_hash)
           VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7) RETURNING id`,
          [
            principal.projectId,
            body.name,
            JSON.stringify(config.directions),
            JSON.stringify(config),
            config.budget.nTrials,
            idempotencyKey,
            requestHash,
          ],
        );
        const studyId = rows[0].id;
        if (config.runner.type === 'command') {
          const { job } = await this.jobs.submit(
            principal,
            'study',
            { studyId },
            { maxAttempts: DRIVER_MAX_ATTEMPTS },
            manager,
          );
          await manager.query(`UPDATE studies SET job_id = $2 WHERE id = $1`, [studyId, job.id]);
        }
        return studyId;
      });
    } catch (error) {
      // Two concurrent requests with one key: the loser answers with the winner's study.
      if (idempotencyKey && (error as { code?: string }).code === '23505') {
        const existing = await this.byKey(principal, idempotencyKey, requestHash);
        if (existing) return { study: await this.get(principal, existing), created: false };
      }
      throw error;
    }
    return { study: await this.get(principal, id), created: true };
  }

  async list(principal: Principal, query: ListStudiesQuery): Promise<StudyListDto> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    // NAS studies (config.nas) are served by /v1/nas (see study-loader.ts).
    const rows: (StudyRow & { trials: number; job_status: string | null })[] = await this.db.query(
      `SELECT s.*, s.next_number AS trials, j.status AS job_status
           FROM studies s LEFT JOIN jobs j ON j.id = s.job_id
          WHERE s.project_id = $1 AND (s.config -> 'nas') IS NULL
          ORDER BY s.created_at DESC, s.id DESC`,
      [principal.projectId],
    );
    const all = rows
      .map((r) => ({
        id: r.id,
        name: r.name,
        status: effectiveStatus(r.status, r.job_status),
        directions: r.config.directions,
        jobId: r.job_id,
        trials: r.trials,
        createdAt: r.created_at,
      }))
      .filter((s) => !query.status || s.status === query.status);
    return { items: all.slice(offset, offset + limit), total: all.length, limit, offset };
  }

  async get(principal: Principal, id: string): Promise<StudyDto> {
    const { row, study } = await loadStudy(this.db, principal.projectId, id);
    const trials = await study.trials();
    const counts = { running: 0, complete: 0, pruned: 0, failed: 0 };
    for (const t of trials) counts[t.state]++;
    const best = study.directions.length === 1 ? await study.bestTrial() : undefined;
    return {
      id: row.id,
      name: row.name,
      status: effectiveStatus(row.status, await this.jobStatus(row.job_id)),
      directions: row.config.directions,
      metrics: row.config.metrics,
      seed: studySeed(row.config),
      config: row.config as unknown as Record<string, unknown>,
      jobId: row.job_id,
      counts,
      bestTrial: best ? trialDto(best) : null,
      paretoFront: paretoFront(trials, study.directions).map(trialDto),
      createdAt: row.created_at,
    };
  }

  async trials(principal: Principal, id: string, query: ListTrialsQuery): Promise<TrialListDto> {
    // Paginated in SQL (a 100k-trial study is never loaded whole), params and intermediate
    // values for the page only. NAS studies' trials are listed here too, as before.
    const repo = new StudyAnalyticsRepository(this.db);
    if (!UUID_RE.test(id) || !(await repo.inProject(id, principal.projectId)))
      throw new NotFoundError('study', id.slice(0, 60));
    const { rows, total } = await repo.trialsPage(id, {
      sort: 'number',
      order: 'asc',
      objective: 0,
      filter: query.state ? [{ field: { kind: 'state' }, op: '=', literal: query.state }] : [],
      limit: query.limit ?? 1000,
      offset: query.offset ?? 0,
    });
    const intermediate = await repo.intermediateOf(
      id,
      rows.map((r) => r.number),
    );
    const items = rows.map((r) => {
      const { durationMs, ...t } = trialRowDto(r);
      void durationMs; // not part of TrialDto
      return { ...t, intermediate: intermediate.get(r.number) ?? [] };
    });
    return { items, total };
  }

  async importance(principal: Principal, id: string, objective = 0): Promise<ImportanceDto> {
    const { study } = await loadStudy(this.db, principal.projectId, id);
    if (objective >= study.directions.length)
      throw ValidationError.field(
        'objective',
        `must be < the number of objectives (${study.directions.length}), got ${objective}`,
      );
    let importance: Record<string, number>;
    try {
      importance = parameterImportance(await study.trials(['complete']), { objective });
    } catch (e) {
      // Too few complete trials is a state of the study, not a malformed request.
      if (e instanceof ValidationError) throw new ConflictError(e.message);
      throw e;
    }
    return {
      objective,
      importance,
      method: 'random-forest permutation importance (docs/search.md, Parameter importance)',
    };
  }

  /**
   * No new trials. A command-runner study lets its trials in flight finish, then ends `stopped`;
   * an external study stops at once (tells of trials already asked are still accepted).
   */
  async stop(principal: Principal, id: string): Promise<StudyDto> {
    const row = await findStudyRow(this.db, principal.projectId, id);
    const next: StudyStatus = row.config.runner.type === 'command' ? 'stopping' : 'stopped';
    const rows: { id: string }[] = await this.db.query(
      `WITH s AS (
         UPDATE studies SET status = $3 WHERE id = $1 AND project_id = $2 AND status = 'running'
         RETURNING id)
       SELECT id FROM s`,
      [id, principal.projectId, next],
    );
    if (rows.length === 0)
      throw new ConflictError(`study ${id} is ${row.status}; only a running study can be stopped`);
    return this.get(principal, id);
  }

  async ask(principal: Principal, id: string): Promise<{ number: number; params: object }> {
    const { row, study } = await loadStudy(this.db, principal.projectId, id);
    this.assertExternal(row);
    if (row.status !== 'running')
      throw new ConflictError(`study ${id} is ${row.status}; no more trials can be asked`);
    const trial = await study.askFromSpace();
    return { number: trial.number, params: { ...trial.params } };
  }

  async tell(principal: Principal, id: string, n: number, body: TellDto): Promise<TrialDto> {
    const { row, study } = await loadStudy(this.db, principal.projectId, id);
    this.assertExternal(row);
    if (body.value !== undefined && body.values !== undefined)
      throw ValidationError.field('value', 'give value or values, not both');
    const values = body.values ?? (body.value === undefined ? undefined : [body.value]);
    const state = body.state ?? 'complete';
    if (state !== 'complete' && values !== undefined)
      throw ValidationError.field('values', `only a complete trial has values (state: ${state})`);
    const result: TellResult = { state, values, constraints: body.constraints };
    const told = await study.tell(n, result);
    if (row.max_trials !== null) {
      // An external study with a trial budget completes when its last trial is told.
      await this.db.query(
        `UPDATE studies s SET status = 'completed'
          WHERE s.id = $1 AND s.status = 'running' AND s.next_number >= s.max_trials
            AND NOT EXISTS (SELECT 1 FROM trials t WHERE t.study_id = s.id AND t.state = 'running')`,
        [id],
      );
    }
    return trialDto(told);
  }

  async report(
    principal: Principal,
    id: string,
    n: number,
    body: ReportDto,
  ): Promise<{ shouldPrune: boolean }> {
    const { row, study } = await loadStudy(this.db, principal.projectId, id);
    this.assertExternal(row);
    if ((body.value === undefined) === (body.values === undefined))
      throw ValidationError.field('value', 'give exactly one of value or values');
    return study.report(n, body.values ?? (body.value as number), body.step);
  }

  private assertExternal(row: StudyRow): void {
    if (row.config.runner.type !== 'external')
      throw new ConflictError(
        `study ${row.id} is driven by its command runner (job ${row.job_id}); ask/tell over REST is for studies with runner {type: "external"}`,
      );
  }

  private async jobStatus(jobId: string | null): Promise<string | null> {
    if (!jobId) return null;
    const rows: { status: string }[] = await this.db.query(
      `SELECT status FROM jobs WHERE id = $1`,
      [jobId],
    );
    return rows[0]?.status ?? null;
  }

  /** The warm-start source must be a study of this project with the same directions. */
  private async checkWarmStart(principal: Principal, config: StudyConfig): Promise<void> {
    const id = config.warmStartFrom as string;
    let source: StudyRow;
    try {
      source = await findStudyRow(this.db, principal.projectId, id);
    } catch (e) {
      if (e instanceof NotFoundError)
        throw ValidationError.field('warmStartFrom', `no study ${id} in this project`);
      throw e;
    }
    if (JSON.stringify(source.config.directions) !== JSON.stringify(config.directions))
      throw ValidationError.field(
        'warmStartFrom',
        `study ${id} has directions ${source.config.directions.join(', ')}; this one ${config.directions.join(', ')}`,
      );
  }

  private async byKey(
    principal: Principal,
    key: string,
    requestHash: string,
  ): Promise<string | null> {
    const rows: { id: string; request_hash: string }[] = await this.db.query(
      `SELECT id, request_hash FROM studies WHERE project_id = $1 AND idempotency_key = $2`,
      [principal.projectId, key],
    );
    if (rows.length === 0) return null;
    if (rows[0].request_hash !== requestHash)
      throw new ConflictError('Idempotency-Key was already used for a different request');
    return rows[0].id;
  }
}

/** The driver job's end shows through: a study whose driver failed or was cancelled says so. */
function effectiveStatus(status: StudyStatus, jobStatus: string | null): StudyStatus {
  if (status === 'running' || status === 'stopping') {
    if (jobStatus === 'failed') return 'failed';
    if (jobStatus === 'cancelled') return 'stopped';
  }
  return status;
}

function withoutName(body: CreateStudyDto): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  delete plain.name;
  return plain;
}

export function trialDto(t: FrozenTrial): TrialDto {
  return {
    number: t.number,
    state: t.state,
    params: t.params,
    values: t.values ?? null,
    constraints: t.constraints ?? null,
    intermediate: t.intermediate,
    userAttrs: t.userAttrs,
    sampler: typeof t.systemAttrs[AUTO_CHOICE] === 'string' ? t.systemAttrs[AUTO_CHOICE] : null,
    startedAt: new Date(t.startedAt).toISOString(),
    finishedAt: t.finishedAt === undefined ? null : new Date(t.finishedAt).toISOString(),
  };
}
