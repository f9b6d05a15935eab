/**
 * Loads a stored hyper-parameter study of a project as a library Study wired to PostgreSQL: the
 * adapter every service path (REST, the study driver job, the trial-command job) goes through, so
 * that all of them sample, prune and store exactly alike.
 */
import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../platform/errors/domain-error';
import { studySpace } from './core/config/study-config';
import { createPruner } from './core/pruners/pruner-registry';
import { TrialSeededSampler } from './core/samplers/trial-seeded-sampler';
import { Study } from './core/study';
import { PgStudyStorage } from './storage/pg-study-storage';
import { StudiesRepository, StudyRow } from './storage/studies.repository';

export type { StudyRow } from './storage/studies.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class StudyLoader {
  constructor(private readonly studies: StudiesRepository) {}

  /** The study's row; a NAS study is served by /v1/nas, so here it is a 404 like a missing one. */
  async row(projectId: string, studyId: string): Promise<StudyRow> {
    if (!UUID.test(studyId)) throw new NotFoundError('study', studyId.slice(0, 60));
    const row = await this.studies.find(projectId, studyId, 'hyperparameter');
    if (!row) throw new NotFoundError('study', studyId);
    return row;
  }

  async load(
    projectId: string,
    studyId: string,
  ): Promise<{ row: StudyRow; study: Study; storage: PgStudyStorage }> {
    const row = await this.row(projectId, studyId);
    const storage = this.studies.storage(projectId);
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
}
