/**
 * The SQL of the `studies` table and of the trial columns the service adds to the library's
 * layout (`trials.job_id`): hyper-parameter studies (/v1/studies), NAS studies (one per `nas`
 * job, /v1/nas) and the counters their driver jobs poll. The library's own reads and writes
 * (ask, tell, report, params) go through `storage(projectId)`, the PostgreSQL StudyStorage.
 * Console aggregates are StudyAnalyticsRepository's.
 *
 * Every lookup a caller makes on behalf of a project is scoped to it; the driver's counters are
 * keyed by a study id its job already resolved in its project.
 */
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { jobStatusOf } from '../../platform/jobs/job-statements';
import { Direction } from '../core/trial';
import type { StudyConfig } from '../core/config/study-config';
import { StudyKind, StudyStatus } from './entities';
import { PgStudyStorage } from './pg-study-storage';

/** A `studies` row; `config` is a StudyConfig for hyper-parameter studies, NAS keeps its own. */
export interface StudyRow<Config = StudyConfig> {
  id: string;
  project_id: string;
  name: string;
  kind: StudyKind;
  status: StudyStatus;
  config: Config;
  job_id: string | null;
  max_trials: number | null;
  created_at: Date;
  idempotency_key: string | null;
  request_hash: string | null;
}

/** A row of `GET /v1/studies`: the status is the effective one (see EFFECTIVE_STATUS). */
export interface StudyListRow {
  id: string;
  name: string;
  status: StudyStatus;
  directions: Direction[];
  job_id: string | null;
  trials: number;
  created_at: Date;
}

export interface NewStudy {
  projectId: string;
  name: string;
  directions: Direction[];
  config: object;
  maxTrials: number | null;
}

export interface TrialCounts {
  complete: number;
  pruned: number;
  failed: number;
}

/**
 * A study's effective status, the one rule for it (the list filters on it, GET /v1/studies/{id}
 * reads it through effectiveStatus): the driver job's end shows through, so a running or
 * stopping study whose driver failed is `failed`, one whose driver was cancelled `stopped`.
 */
const EFFECTIVE_STATUS = `CASE WHEN s.status IN ('running', 'stopping') THEN
  CASE ${jobStatusOf('s.job_id')} WHEN 'failed' THEN 'failed' WHEN 'cancelled' THEN 'stopped'
  ELSE s.status END
  ELSE s.status END`;

const STUDY_COLUMNS = `id, project_id, name, kind, status, config, job_id, max_trials, created_at,
  idempotency_key, request_hash`;

@Injectable()
export class StudiesRepository {
  private q: DataSource | EntityManager;

  constructor(private readonly db: DataSource) {
    this.q = db;
  }

  /**
   * Runs `work` in one transaction. The repository it gets writes through that transaction; the
   * manager is for the job platform's writes that belong to it (JobsService.submit).
   */
  transaction<T>(work: (tx: StudiesRepository, manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction((manager) => {
      const tx = new StudiesRepository(this.db);
      tx.q = manager;
      return work(tx, manager);
    });
  }

  /** The library's StudyStorage port on these tables, scoped to one project. */
  storage(projectId: string): PgStudyStorage {
    return new PgStudyStorage(this.q, projectId);
  }

  async find<Config = StudyConfig>(
    projectId: string,
    id: string,
    kind: StudyKind,
  ): Promise<StudyRow<Config> | undefined> {
    const rows: StudyRow<Config>[] = await this.q.query(
      `SELECT ${STUDY_COLUMNS} FROM studies WHERE id = $1 AND project_id = $2 AND kind = $3`,
      [id, projectId, kind],
    );
    return rows[0];
  }

  /** The study of a driver job (a NAS job's; `studies.job_id`). */
  async findByJob<Config = StudyConfig>(
    projectId: string,
    jobId: string,
    kind: StudyKind,
  ): Promise<StudyRow<Config> | undefined> {
    const rows: StudyRow<Config>[] = await this.q.query(
      `SELECT ${STUDY_COLUMNS} FROM studies WHERE project_id = $1 AND job_id = $2 AND kind = $3`,
      [projectId, jobId, kind],
    );
    return rows[0];
  }

  /** Whether the study (of either kind) belongs to the project. */
  async inProject(studyId: string, projectId: string): Promise<boolean> {
    const rows: unknown[] = await this.q.query(
      `SELECT 1 FROM studies WHERE id = $1 AND project_id = $2`,
      [studyId, projectId],
    );
    return rows.length > 0;
  }

  async insertHyperparameter(
    study: NewStudy & { idempotencyKey: string | null; requestHash: string },
  ): Promise<string> {
    const rows: { id: string }[] = await this.q.query(
      `INSERT INTO studies (project_id, name, kind, directions, config, max_trials, idempotency_key,
                            request_hash)
       VALUES ($1, $2, 'hyperparameter', $3::jsonb, $4::jsonb, $5, $6, $7) RETURNING id`,
      [
        study.projectId,
        study.name,
        JSON.stringify(study.directions),
        JSON.stringify(study.config),
        study.maxTrials,
        study.idempotencyKey,
        study.requestHash,
      ],
    );
    return rows[0].id;
  }

  /** A NAS job's study (`job_id` = the job, so a re-queued driver finds it again). */
  async insertNas(study: NewStudy & { jobId: string }): Promise<{ id: string; createdAt: Date }> {
    const rows: { id: string; created_at: Date }[] = await this.q.query(
      `INSERT INTO studies (project_id, name, kind, directions, config, max_trials, job_id)
       VALUES ($1, $2, 'nas', $3::jsonb, $4::jsonb, $5, $6) RETURNING id, created_at`,
      [
        study.projectId,
        study.name,
        JSON.stringify(study.directions),
        JSON.stringify(study.config),
        study.maxTrials,
        study.jobId,
      ],
    );
    return { id: rows[0].id, createdAt: rows[0].created_at };
  }

  async delete(studyId: string): Promise<void> {
    await this.q.query(`DELETE FROM studies WHERE id = $1`, [studyId]);
  }

  async setDriverJob(studyId: string, jobId: string): Promise<void> {
    await this.q.query(`UPDATE studies SET job_id = $2 WHERE id = $1`, [studyId, jobId]);
  }

  async findByIdempotencyKey(
    projectId: string,
    key: string,
  ): Promise<{ id: string; requestHash: string } | undefined> {
    const rows: { id: string; request_hash: string }[] = await this.q.query(
      `SELECT id, request_hash FROM studies WHERE project_id = $1 AND idempotency_key = $2`,
      [projectId, key],
    );
    return rows[0] && { id: rows[0].id, requestHash: rows[0].request_hash };
  }

  /** The study's effective status (EFFECTIVE_STATUS); undefined when there is no such study. */
  async effectiveStatus(studyId: string): Promise<StudyStatus | undefined> {
    const rows: { status: StudyStatus }[] = await this.q.query(
      `SELECT ${EFFECTIVE_STATUS} AS status FROM studies s WHERE s.id = $1`,
      [studyId],
    );
    return rows[0]?.status;
  }

  /**
   * One page of the project's hyper-parameter studies, newest first, filtered by effective
   * status (the driver job's status comes from the platform's jobStatusOf).
   */
  async listHyperparameter(
    projectId: string,
    page: { status?: StudyStatus; limit: number; offset: number },
  ): Promise<{ rows: StudyListRow[]; total: number }> {
    const listed = `SELECT s.id, s.name, ${EFFECTIVE_STATUS} AS status,
                           s.config -> 'directions' AS directions, s.job_id,
                           s.next_number AS trials, s.created_at
                      FROM studies s
                     WHERE s.project_id = $1 AND s.kind = 'hyperparameter'`;
    const args = [projectId, page.status ?? null];
    const [{ total }]: { total: number }[] = await this.q.query(
      `SELECT count(*)::int AS total FROM (${listed}) l WHERE ($2::text IS NULL OR l.status = $2)`,
      args,
    );
    const rows: StudyListRow[] = await this.q.query(
      `SELECT * FROM (${listed}) l WHERE ($2::text IS NULL OR l.status = $2)
        ORDER BY l.created_at DESC, l.id DESC LIMIT $3 OFFSET $4`,
      [...args, page.limit, page.offset],
    );
    return { rows, total };
  }

  /** Sets `status` on a running study of the project; false when it was not running. */
  async stopRunning(projectId: string, studyId: string, status: StudyStatus): Promise<boolean> {
    const rows: { id: string }[] = await this.q.query(
      `WITH s AS (
         UPDATE studies SET status = $3 WHERE id = $1 AND project_id = $2 AND status = 'running'
         RETURNING id)
       SELECT id FROM s`,
      [studyId, projectId, status],
    );
    return rows.length > 0;
  }

  /**
   * Changes the trial budget of a running study (PATCH /v1/studies/{id}, a Study custom
   * resource's edit): the driver re-reads it on its next poll. Null: the study is not running.
   */
  async updateBudget(
    projectId: string,
    studyId: string,
    budget: { nTrials?: number; parallelism?: number },
  ): Promise<{ nTrials: number | null; parallelism: number } | null> {
    const rows: { budget: { nTrials: number | null; parallelism: number } }[] = await this.q.query(
      `WITH s AS (
         UPDATE studies SET
           config = jsonb_set(config, '{budget}', (config -> 'budget') || $3::jsonb),
           max_trials = COALESCE(($3::jsonb ->> 'nTrials')::int, max_trials)
         WHERE id = $1 AND project_id = $2 AND status = 'running'
         RETURNING config -> 'budget' AS budget)
       SELECT budget FROM s`,
      [studyId, projectId, JSON.stringify(budget)],
    );
    return rows[0]?.budget ?? null;
  }

  /** The trial budget as stored now (the driver re-reads it: it may change while it runs). */
  async budget(studyId: string): Promise<{ nTrials: number | null; parallelism: number }> {
    const rows: { budget: { nTrials: number | null; parallelism: number } }[] = await this.q.query(
      `SELECT config -> 'budget' AS budget FROM studies WHERE id = $1`,
      [studyId],
    );
    return rows[0].budget;
  }

  /** An external study with a trial budget completes when its last trial is told. */
  async completeWhenBudgetTold(studyId: string): Promise<void> {
    await this.q.query(
      `UPDATE studies s SET status = 'completed'
        WHERE s.id = $1 AND s.status = 'running' AND s.next_number >= s.max_trials
          AND NOT EXISTS (SELECT 1 FROM trials t WHERE t.study_id = s.id AND t.state = 'running')`,
      [studyId],
    );
  }

  async status(studyId: string): Promise<StudyStatus> {
    const rows: { status: StudyStatus }[] = await this.q.query(
      `SELECT status FROM studies WHERE id = $1`,
      [studyId],
    );
    return rows[0].status;
  }

  /** Trials asked so far (the next trial number). */
  async askedCount(studyId: string): Promise<number> {
    const rows: { n: number }[] = await this.q.query(
      `SELECT next_number AS n FROM studies WHERE id = $1`,
      [studyId],
    );
    return rows[0].n;
  }

  async trialCounts(studyId: string): Promise<TrialCounts> {
    const rows: { state: string; n: number }[] = await this.q.query(
      `SELECT state, count(*)::int AS n FROM trials WHERE study_id = $1 GROUP BY state`,
      [studyId],
    );
    const by = Object.fromEntries(rows.map((r) => [r.state, r.n]));
    return { complete: by.complete ?? 0, pruned: by.pruned ?? 0, failed: by.failed ?? 0 };
  }

  /** Running trials by number with the job that runs each (null: none dispatched). */
  async runningTrials(studyId: string): Promise<{ number: number; jobId: string | null }[]> {
    return this.q.query(
      `SELECT number, job_id AS "jobId" FROM trials
        WHERE study_id = $1 AND state = 'running' ORDER BY number`,
      [studyId],
    );
  }

  /** The driver ends the study: `status` unless it already ended otherwise. */
  async endDriven(studyId: string, status: 'stopped' | 'completed'): Promise<void> {
    await this.q.query(
      `UPDATE studies SET status = $2 WHERE id = $1 AND status IN ('running', 'stopping')`,
      [studyId, status],
    );
  }

  /** A user cancelled the driver. */
  async markStopped(studyId: string): Promise<void> {
    await this.q.query(`UPDATE studies SET status = 'stopped' WHERE id = $1`, [studyId]);
  }

  async setTrialJob(studyId: string, trialNumber: number, jobId: string): Promise<void> {
    await this.q.query(`UPDATE trials SET job_id = $3 WHERE study_id = $1 AND number = $2`, [
      studyId,
      trialNumber,
      jobId,
    ]);
  }

  /** The job that ran a trial (NAS weight inheritance reads the parent's artifacts). */
  async trialJobId(studyId: string, trialNumber: number): Promise<string | null> {
    const rows: { job_id: string | null }[] = await this.q.query(
      `SELECT job_id FROM trials WHERE study_id = $1 AND number = $2`,
      [studyId, trialNumber],
    );
    return rows[0]?.job_id ?? null;
  }
}
