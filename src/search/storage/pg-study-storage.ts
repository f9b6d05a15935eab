/**
 * PostgreSQL adapter of the StudyStorage port, shared by the API and every worker process.
 *
 * Concurrency (what the port promises when many processes ask/tell on one study):
 * - trial numbers: `UPDATE studies SET next_number = next_number + 1 ... RETURNING` and the trial
 *   insert are one statement; the study row lock serialises concurrent asks, so numbers are
 *   unique and gap-free, and the budget (`max_trials`) is enforced in the same statement;
 * - tell: `UPDATE trials ... WHERE state = 'running'` finishes a trial at most once; the loser of
 *   a race updates nothing and gets a ConflictError (no silent overwrite, no lost tell);
 * - params and intermediate values are inserted with `FOR SHARE` on the running trial, so they
 *   can never land on a trial a concurrent tell has just finished.
 * Every statement is scoped to the project, so one project cannot read another's studies.
 */
import { DataSource, EntityManager } from 'typeorm';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors/domain-error';
import { Distribution, ParamValue, contains, sameDistribution } from '../core/distributions';
import { CreateStudyInput, FinishTrialInput, StudyStorage } from '../core/storage';
import { Direction, FrozenTrial, JsonValue, StudyRecord, TrialState } from '../core/trial';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface TrialRow {
  number: number;
  state: TrialState;
  values: number[] | null;
  constraints: number[] | null;
  system_attrs: Record<string, JsonValue>;
  user_attrs: Record<string, JsonValue>;
  started_at: Date;
  finished_at: Date | null;
}

interface ParamRow {
  number: number;
  name: string;
  value: ParamValue;
  distribution: Distribution;
}

interface IntermediateRow {
  number: number;
  step: number;
  values: number[];
}

export class PgStudyStorage implements StudyStorage {
  private readonly db: DataSource | EntityManager;

  constructor(
    db: DataSource | EntityManager,
    private readonly projectId: string,
  ) {
    this.db = db;
  }

  async createStudy(input: CreateStudyInput): Promise<StudyRecord> {
    if (input.directions.length === 0)
      throw ValidationError.field('directions', 'must list at least one direction');
    const rows: { id: string }[] = await this.db.query(
      `INSERT INTO studies (project_id, name, directions, user_attrs) VALUES ($1, $2, $3::jsonb, $4::jsonb)
       RETURNING id`,
      [
        this.projectId,
        input.name,
        JSON.stringify(input.directions),
        JSON.stringify(input.userAttrs ?? {}),
      ],
    );
    return this.getStudy(rows[0].id);
  }

  async getStudy(studyId: string): Promise<StudyRecord> {
    this.assertId(studyId);
    const rows: { id: string; name: string; directions: Direction[]; user_attrs: never }[] =
      await this.db.query(
        `SELECT id, name, directions, user_attrs FROM studies WHERE id = $1 AND project_id = $2`,
        [studyId, this.projectId],
      );
    if (rows.length === 0) throw new NotFoundError('study', studyId);
    return {
      id: rows[0].id,
      name: rows[0].name,
      directions: rows[0].directions,
      userAttrs: rows[0].user_attrs,
    };
  }

  async createTrial(
    studyId: string,
    systemAttrs: Record<string, JsonValue> = {},
  ): Promise<FrozenTrial> {
    this.assertId(studyId);
    const rows: TrialRow[] = await this.db.query(
      `WITH s AS (
         UPDATE studies SET next_number = next_number + 1
          WHERE id = $1 AND project_id = $2 AND (max_trials IS NULL OR next_number < max_trials)
         RETURNING id, next_number - 1 AS number)
       INSERT INTO trials (study_id, number, system_attrs)
       SELECT s.id, s.number, $3::jsonb FROM s
       RETURNING *`,
      [studyId, this.projectId, JSON.stringify(systemAttrs)],
    );
    if (rows.length === 0) {
      const study: { max_trials: number | null }[] = await this.db.query(
        `SELECT max_trials FROM studies WHERE id = $1 AND project_id = $2`,
        [studyId, this.projectId],
      );
      if (study.length === 0) throw new NotFoundError('study', studyId);
      throw new ConflictError(
        `study ${studyId} used its budget of ${study[0].max_trials} trials; no more can be asked`,
      );
    }
    return toFrozen(rows[0], [], []);
  }

  async setTrialParam(
    studyId: string,
    trialNumber: number,
    name: string,
    value: ParamValue,
    distribution: Distribution,
  ): Promise<void> {
    if (!contains(distribution, value)) {
      throw ValidationError.field(
        `params.${name}`,
        `${JSON.stringify(value)} is outside its distribution`,
      );
    }
    this.assertId(studyId);
    const inserted: { name: string }[] = await this.db.query(
      `INSERT INTO trial_params (study_id, number, name, value, distribution)
       SELECT t.study_id, t.number, $3, $4::jsonb, $5::jsonb FROM trials t
         JOIN studies s ON s.id = t.study_id AND s.project_id = $6
        WHERE t.study_id = $1 AND t.number = $2 AND t.state = 'running'
          FOR SHARE OF t
       ON CONFLICT (study_id, number, name) DO NOTHING
       RETURNING name`,
      [
        studyId,
        trialNumber,
        name,
        JSON.stringify(value),
        JSON.stringify(distribution),
        this.projectId,
      ],
    );
    if (inserted.length > 0) return;
    await this.running(studyId, trialNumber);
    const existing: ParamRow[] = await this.db.query(
      `SELECT value, distribution FROM trial_params WHERE study_id = $1 AND number = $2 AND name = $3`,
      [studyId, trialNumber, name],
    );
    const old = existing[0];
    if (old && old.value === value && sameDistribution(old.distribution, distribution)) return;
    throw new ConflictError(
      `trial ${trialNumber} already has parameter "${name}" = ${JSON.stringify(old?.value)}`,
    );
  }

  async setTrialSystemAttr(
    studyId: string,
    trialNumber: number,
    key: string,
    value: JsonValue,
  ): Promise<void> {
    await this.mergeAttr('system_attrs', studyId, trialNumber, key, value);
  }

  async setTrialUserAttr(
    studyId: string,
    trialNumber: number,
    key: string,
    value: JsonValue,
  ): Promise<void> {
    await this.mergeAttr('user_attrs', studyId, trialNumber, key, value);
  }

  async reportIntermediate(
    studyId: string,
    trialNumber: number,
    step: number,
    values: number[],
  ): Promise<void> {
    if (!Number.isInteger(step) || step < 0 || step > 2_147_483_647)
      throw ValidationError.field('step', `must be a non-negative integer, got ${step}`);
    this.assertId(studyId);
    const rows: { step: number }[] = await this.db.query(
      `INSERT INTO trial_intermediate_values (study_id, number, step, "values")
       SELECT t.study_id, t.number, $3, $4::double precision[] FROM trials t
         JOIN studies s ON s.id = t.study_id AND s.project_id = $5
        WHERE t.study_id = $1 AND t.number = $2 AND t.state = 'running'
          FOR SHARE OF t
       ON CONFLICT (study_id, number, step) DO UPDATE SET "values" = EXCLUDED."values"
       RETURNING step`,
      [studyId, trialNumber, step, values.map(String), this.projectId],
    );
    if (rows.length === 0) await this.running(studyId, trialNumber);
  }

  async finishTrial(
    studyId: string,
    trialNumber: number,
    input: FinishTrialInput,
  ): Promise<FrozenTrial> {
    const study = await this.getStudy(studyId);
    const dirs = study.directions.length;
    if (input.state === 'complete' && (input.values?.length ?? 0) !== dirs) {
      throw ValidationError.field(
        'values',
        `a complete trial needs ${dirs} value(s), got ${input.values?.length ?? 0}`,
      );
    }
    const rows: TrialRow[] = await this.db.query(
      `WITH done AS (
         UPDATE trials SET state = $3, "values" = $4::double precision[],
                constraints = $5::double precision[], finished_at = now()
          WHERE study_id = $1 AND number = $2 AND state = 'running'
         RETURNING *)
       SELECT * FROM done`,
      [
        studyId,
        trialNumber,
        input.state,
        input.values === undefined ? null : input.values.map(String),
        input.constraints === undefined ? null : input.constraints.map(String),
      ],
    );
    if (rows.length === 0) await this.running(studyId, trialNumber);
    return this.getTrial(studyId, trialNumber);
  }

  async getTrial(studyId: string, trialNumber: number): Promise<FrozenTrial> {
    const trials = await this.load(studyId, undefined, trialNumber);
    if (trials.length === 0) throw new NotFoundError('trial', `${studyId}/${trialNumber}`);
    return trials[0];
  }

  async listTrials(studyId: string, states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    await this.getStudy(studyId);
    return this.load(studyId, states);
  }

  /** Trials with their params and intermediate values: three queries, joined in memory. */
  private async load(
    studyId: string,
    states?: readonly TrialState[],
    only?: number,
  ): Promise<FrozenTrial[]> {
    this.assertId(studyId);
    const filter = `study_id = $1 AND ($2::int IS NULL OR number = $2)`;
    const trials: TrialRow[] = await this.db.query(
      `SELECT t.* FROM trials t JOIN studies s ON s.id = t.study_id AND s.project_id = $3
        WHERE t.${filter} AND ($4::text[] IS NULL OR t.state = ANY($4::text[]))
        ORDER BY t.number`,
      [studyId, only ?? null, this.projectId, states ? [...states] : null],
    );
    if (trials.length === 0) return [];
    const params: ParamRow[] = await this.db.query(
      `SELECT number, name, value, distribution FROM trial_params WHERE ${filter} ORDER BY number, name`,
      [studyId, only ?? null],
    );
    const inter: IntermediateRow[] = await this.db.query(
      `SELECT number, step, "values" FROM trial_intermediate_values WHERE ${filter}
        ORDER BY number, step`,
      [studyId, only ?? null],
    );
    const paramsOf = groupBy(params);
    const interOf = groupBy(inter);
    return trials.map((t) =>
      toFrozen(t, paramsOf.get(t.number) ?? [], interOf.get(t.number) ?? []),
    );
  }

  private async mergeAttr(
    column: 'system_attrs' | 'user_attrs',
    studyId: string,
    trialNumber: number,
    key: string,
    value: JsonValue,
  ): Promise<void> {
    this.assertId(studyId);
    const rows: { number: number }[] = await this.db.query(
      `WITH u AS (
         UPDATE trials t SET ${column} = t.${column} || jsonb_build_object($3::text, $4::jsonb)
           FROM studies s
          WHERE t.study_id = $1 AND t.number = $2 AND s.id = t.study_id AND s.project_id = $5
         RETURNING t.number)
       SELECT * FROM u`,
      [studyId, trialNumber, key, JSON.stringify(value), this.projectId],
    );
    if (rows.length === 0) throw new NotFoundError('trial', `${studyId}/${trialNumber}`);
  }

  /** Throws NotFoundError for a missing trial and ConflictError for a finished one. */
  private async running(studyId: string, trialNumber: number): Promise<void> {
    const t = await this.getTrial(studyId, trialNumber);
    if (t.state !== 'running')
      throw new ConflictError(`trial ${trialNumber} is already ${t.state}`);
  }

  private assertId(studyId: string): void {
    if (!UUID.test(studyId)) throw new NotFoundError('study', studyId);
  }
}

function groupBy<T extends { number: number }>(rows: T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const list = out.get(r.number);
    if (list) list.push(r);
    else out.set(r.number, [r]);
  }
  return out;
}

function toFrozen(row: TrialRow, params: ParamRow[], inter: IntermediateRow[]): FrozenTrial {
  const t: FrozenTrial = {
    number: row.number,
    state: row.state,
    params: Object.fromEntries(params.map((p) => [p.name, p.value])),
    distributions: Object.fromEntries(params.map((p) => [p.name, p.distribution])),
    intermediate: inter.map((iv) => ({ step: iv.step, values: iv.values.map(Number) })),
    userAttrs: row.user_attrs,
    systemAttrs: row.system_attrs,
    startedAt: new Date(row.started_at).getTime(),
  };
  if (row.values !== null) t.values = row.values.map(Number);
  if (row.constraints !== null) t.constraints = row.constraints.map(Number);
  if (row.finished_at !== null) t.finishedAt = new Date(row.finished_at).getTime();
  return t;
}
