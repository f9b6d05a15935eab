/**
 * The studies tables in memory, for runNas: the rows NAS keeps (NasStudyRows), the counters
 * the trial-job driver polls (DriverStudies), and the library's InMemoryStudyStorage for the
 * trials themselves. One process, one project: the project id is recorded but not a boundary.
 */
import { InMemoryStudyStorage } from '../../search/core/memory-storage';
import { StudyStorage } from '../../search/core/storage';
import { DriverStudies } from '../../search/handlers/trial-job-driver';
import { StudyKind, StudyStatus } from '../../search/storage/entities';
import type { NewStudy, StudyRow, TrialCounts } from '../../search/storage/studies.repository';
import { NasStudyRows } from '../nas-studies';

export class MemoryStudies implements NasStudyRows, DriverStudies {
  private readonly store = new InMemoryStudyStorage();
  private readonly rows = new Map<string, StudyRow<unknown>>();
  /** `studyId/number` -> the trial's job. */
  private readonly jobs = new Map<string, string>();

  storage(_projectId: string): StudyStorage {
    return this.store;
  }

  async find<Config>(
    projectId: string,
    id: string,
    kind: StudyKind,
  ): Promise<StudyRow<Config> | undefined> {
    const row = this.rows.get(id);
    return row?.project_id === projectId && row.kind === kind
      ? (row as StudyRow<Config>)
      : undefined;
  }

  async findByJob<Config>(
    projectId: string,
    jobId: string,
    kind: StudyKind,
  ): Promise<StudyRow<Config> | undefined> {
    for (const row of this.rows.values())
      if (row.project_id === projectId && row.job_id === jobId && row.kind === kind)
        return row as StudyRow<Config>;
    return undefined;
  }

  async insertNas(study: NewStudy & { jobId: string }): Promise<{ id: string; createdAt: Date }> {
    const { id } = await this.store.createStudy({
      name: study.name,
      directions: study.directions,
    });
    const createdAt = new Date();
    this.rows.set(id, {
      id,
      project_id: study.projectId,
      name: study.name,
      kind: 'nas',
      status: 'running',
      config: study.config,
      job_id: study.jobId,
      max_trials: study.maxTrials,
      created_at: createdAt,
      idempotency_key: null,
      request_hash: null,
    });
    return { id, createdAt };
  }

  async delete(studyId: string): Promise<void> {
    this.rows.delete(studyId);
  }

  setTrialJob(studyId: string, trialNumber: number, jobId: string): void {
    this.jobs.set(`${studyId}/${trialNumber}`, jobId);
  }

  async trialJobId(studyId: string, trialNumber: number): Promise<string | null> {
    return this.jobs.get(`${studyId}/${trialNumber}`) ?? null;
  }

  async status(studyId: string): Promise<StudyStatus> {
    return this.row(studyId).status;
  }

  async askedCount(studyId: string): Promise<number> {
    return (await this.store.listTrials(studyId)).length;
  }

  async trialCounts(studyId: string): Promise<TrialCounts> {
    const counts = { complete: 0, pruned: 0, failed: 0 };
    for (const t of await this.store.listTrials(studyId))
      if (t.state !== 'running') counts[t.state]++;
    return counts;
  }

  async runningTrials(studyId: string): Promise<{ number: number; jobId: string | null }[]> {
    const running = await this.store.listTrials(studyId, ['running']);
    return running.map((t) => ({
      number: t.number,
      jobId: this.jobs.get(`${studyId}/${t.number}`) ?? null,
    }));
  }

  async endDriven(studyId: string, status: 'stopped' | 'completed'): Promise<void> {
    const row = this.row(studyId);
    if (row.status === 'running' || row.status === 'stopping') row.status = status;
  }

  async markStopped(studyId: string): Promise<void> {
    this.row(studyId).status = 'stopped';
  }

  private row(studyId: string): StudyRow<unknown> {
    const row = this.rows.get(studyId);
    if (!row) throw new Error(`no study ${studyId}`);
    return row;
  }
}
