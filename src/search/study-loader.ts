/**
 * Loads a stored study of a project as a library Study wired to PostgreSQL: the adapter every
 * service path (REST, the study driver job, the trial-command job) goes through, so that all of
 * them sample, prune and store exactly alike.
 */
import { DataSource, EntityManager } from 'typeorm';
import { NotFoundError } from '../platform/errors/domain-error';
import { Study, createPruner } from './core';
import { PgStudyStorage } from './storage/pg-study-storage';
import { StudyStatus } from './storage/entities';
import { StudyConfig, studySpace } from './core/config/study-config';
import { TrialSeededSampler } from './core/samplers/trial-seeded-sampler';

export interface StudyRow {
  id: string;
  project_id: string;
  name: string;
  status: StudyStatus;
  config: StudyConfig;
  job_id: string | null;
  max_trials: number | null;
  created_at: Date;
  idempotency_key: string | null;
  request_hash: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findStudyRow(
  db: DataSource | EntityManager,
  projectId: string,
  studyId: string,
): Promise<StudyRow> {
  if (!UUID.test(studyId)) throw new NotFoundError('study', studyId.slice(0, 60));
  // A NAS study (config.nas) belongs to its nas job and is served by /v1/nas, not /v1/studies.
  const rows: StudyRow[] = await db.query(
    `SELECT id, project_id, name, status, config, job_id, max_trials, created_at, idempotency_key,
            request_hash
       FROM studies WHERE id = $1 AND project_id = $2 AND (config -> 'nas') IS NULL`,
    [studyId, projectId],
  );
  if (rows.length === 0) throw new NotFoundError('study', studyId);
  return rows[0];
}

export async function loadStudy(
  db: DataSource,
  projectId: string,
  studyId: string,
): Promise<{ row: StudyRow; study: Study; storage: PgStudyStorage }> {
  const row = await findStudyRow(db, projectId, studyId);
  const storage = new PgStudyStorage(db, projectId);
  // The source study is read through the same project-scoped storage: another tenant's is invisible.
  const priorTrials = row.config.warmStartFrom
    ? await storage.listTrials(row.config.warmStartFrom, ['complete'])
    : undefined;
  const study = await Study.load(
    {
      storage,
      sampler: new TrialSeededSampler(row.config.sampler),
      pruner: createPruner(row.config.pruner.name, row.config.pruner.settings),
      space: studySpace(row.config),
      priorTrials,
    },
    studyId,
  );
  return { row, study, storage };
}
