/**
 * Study rules behind the REST API: create (with its driver job for a command runner), list, read,
 * stop, validate, importance, and the trial list. Ask/tell/report for external programs are
 * ExternalTrialsService's. Every query is scoped to the caller's project; rows come from
 * StudiesRepository, trials through the library Study over PgStudyStorage.
 */
import * as crypto from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ProjectsRepository } from '../platform/auth/projects.repository';
import type { Principal } from '../platform/auth/projects.service';
import { atLeast } from '../platform/auth/roles';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../platform/errors/domain-error';
import { APP_CONFIG, type AppConfig } from '../platform/config/app-config';
import { JobsService } from '../platform/jobs/jobs.service';
import { StudyConfig, studySeed, withSeed } from './core/config/study-config';
import { parameterImportance } from './core/importance';
import { paretoFront } from './core/multi-objective';
import { StudyStatus } from './storage/entities';
import { StudiesRepository, StudyRow } from './storage/studies.repository';
import { StudyAnalyticsRepository } from './storage/study-analytics.repository';
import { ListStudiesQuery, ListTrialsQuery } from './dto/study-requests.dto';
import {
  ImportanceDto,
  StudyDto,
  StudyListDto,
  TrialListDto,
  ValidateResponseDto,
} from './dto/study-responses.dto';
import { trialDto, trialRowDto } from './study-dto-mappers';
import { StudyLoader } from './study-loader';
import { randomSeed } from './study-seed';
import { assertTrialPodsAllowed, searchConfigOf } from './trial-pods';
import type { SearchConfig } from './search-config';
import { parseStudyRequest, studyPatchBody } from './study.schema';

/** Driver attempts: a study survives this many worker losses before it fails. */
const DRIVER_MAX_ATTEMPTS = 10;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class StudiesService {
  /** Whether trial images and placements can run here (executor, allowed namespaces). */
  private readonly search: SearchConfig;

  constructor(
    private readonly studies: StudiesRepository,
    private readonly analytics: StudyAnalyticsRepository,
    private readonly loader: StudyLoader,
    private readonly projects: ProjectsRepository,
    private readonly jobs: JobsService,
    @Inject(APP_CONFIG) appConfig: AppConfig,
  ) {
    this.search = searchConfigOf(appConfig);
  }

  /** Every problem of a request, answered rather than thrown (the console checks as one types). */
  validate(body: unknown): ValidateResponseDto {
    try {
      parseStudyRequest(body);
      return { valid: true, problems: [] };
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return { valid: false, problems: e.problems };
    }
  }

  async create(
    principal: Principal,
    body: unknown,
    idempotencyKey: string | null,
  ): Promise<{ study: StudyDto; created: boolean }> {
    const { name, config: parsed } = parseStudyRequest(body);
    assertTrialPodsAllowed(parsed, this.search);
    if (parsed.runner.type === 'command') await this.assertMayRunCommands(principal);
    if (parsed.warmStartFrom) await this.checkWarmStart(principal, parsed);
    // Hashed before the default seed is drawn: the same request with the same key is the same study.
    const requestHash = crypto
      .createHash('sha256')
      .update(JSON.stringify([name, parsed]))
      .digest('hex');
    const config = withSeed(parsed, randomSeed);
    if (idempotencyKey) {
      const existing = await this.byKey(principal, idempotencyKey, requestHash);
      if (existing) return { study: await this.get(principal, existing), created: false };
    }
    let id: string;
    try {
      id = await this.studies.transaction(async (tx, manager) => {
        const studyId = await tx.insertHyperparameter({
          projectId: principal.projectId,
          name,
          directions: config.directions,
          config,
          maxTrials: config.budget.nTrials,
          idempotencyKey,
          requestHash,
        });
        if (config.runner.type === 'command') {
          const { job } = await this.jobs.submit(
            principal,
            'study',
            { studyId },
            { maxAttempts: DRIVER_MAX_ATTEMPTS },
            manager,
          );
          await tx.setDriverJob(studyId, job.id);
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

  /** Newest first, paginated and filtered by effective status in SQL. */
  async list(principal: Principal, query: ListStudiesQuery): Promise<StudyListDto> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const { rows, total } = await this.studies.listHyperparameter(principal.projectId, {
      status: query.status,
      limit,
      offset,
    });
    const items = rows.map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      directions: r.directions,
      jobId: r.job_id,
      trials: r.trials,
      createdAt: r.created_at,
    }));
    return { items, total, limit, offset };
  }

  async get(principal: Principal, id: string): Promise<StudyDto> {
    const { row, study } = await this.loader.load(principal.projectId, id);
    const trials = await study.trials();
    const counts = { running: 0, complete: 0, pruned: 0, failed: 0 };
    for (const t of trials) counts[t.state]++;
    const best = study.directions.length === 1 ? await study.bestTrial() : undefined;
    return {
      id: row.id,
      name: row.name,
      status: (await this.studies.effectiveStatus(row.id)) ?? row.status,
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
    if (!UUID_RE.test(id) || !(await this.studies.inProject(id, principal.projectId)))
      throw new NotFoundError('study', id.slice(0, 60));
    const { rows, total } = await this.analytics.trialsPage(id, {
      sort: 'number',
      order: 'asc',
      objective: 0,
      filter: query.state ? [{ field: { kind: 'state' }, op: '=', literal: query.state }] : [],
      limit: query.limit ?? 1000,
      offset: query.offset ?? 0,
    });
    const intermediate = await this.analytics.intermediateOf(
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
    const { study } = await this.loader.load(principal.projectId, id);
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
    const row = await this.loader.row(principal.projectId, id);
    const next: StudyStatus = row.config.runner.type === 'command' ? 'stopping' : 'stopped';
    if (!(await this.studies.stopRunning(principal.projectId, id, next)))
      throw new ConflictError(`study ${id} is ${row.status}; only a running study can be stopped`);
    return this.get(principal, id);
  }

  /**
   * Changes a running study's trial budget (nTrials, parallelism); its driver picks it up on
   * its next poll. Same checks as at creation; a study that is not running is a 409.
   */
  async updateBudget(principal: Principal, id: string, body: unknown): Promise<StudyDto> {
    const { budget } = studyPatchBody.parse(body, '');
    const row = await this.loader.row(principal.projectId, id);
    if (!(await this.studies.updateBudget(principal.projectId, id, budget)))
      throw new ConflictError(
        `study ${id} is ${row.status}; only a running study's budget can be changed`,
      );
    return this.get(principal, id);
  }

  /**
   * A command runner executes code on the workers (sandboxed, docs/security.md): it needs a
   * member or admin key and a project with allowCommands on.
   */
  private async assertMayRunCommands(principal: Principal): Promise<void> {
    if (!atLeast(principal.role, 'member'))
      throw new ForbiddenError('running command trials needs a member or admin key');
    if (!(await this.projects.allowsCommands(principal.projectId)))
      throw new ForbiddenError(
        `project "${principal.projectName}" does not allow command trials: an admin can enable ` +
          `them with PATCH /v1/projects/${principal.projectName} {"allowCommands": true}`,
      );
  }

  /** The warm-start source must be a study of this project with the same directions. */
  private async checkWarmStart(principal: Principal, config: StudyConfig): Promise<void> {
    const id = config.warmStartFrom as string;
    let source: StudyRow;
    try {
      source = await this.loader.row(principal.projectId, id);
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
    const found = await this.studies.findByIdempotencyKey(principal.projectId, key);
    if (!found) return null;
    if (found.requestHash !== requestHash)
      throw new ConflictError('Idempotency-Key was already used for a different request');
    return found.id;
  }
}
