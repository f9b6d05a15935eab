/**
 * What a study driver and its trial jobs need of the job platform: queue a trial's job (recorded
 * on the trial in the same transaction), look at and cancel those jobs, and tell a user's cancel
 * from a worker shutdown. PlatformTrialJobs implements it on JobsService and the `jobs` table;
 * runNas (src/nas/in-process/run-nas.ts) implements it in memory.
 */
export const TRIAL_JOBS = Symbol('TRIAL_JOBS');

export interface TrialJobState {
  status: string;
  error: string | null;
}

export interface TrialJobs {
  /** Queues the `kind` job of a trial (spec `{ studyId, trial }`, parent: the driver job). */
  dispatch(o: {
    projectId: string;
    driverJobId: string;
    kind: string;
    studyId: string;
    trialNumber: number;
    /** More of the job's spec for its executor (a command study's trialImage and placement). */
    extra?: Readonly<Record<string, unknown>>;
  }): Promise<void>;
  /** Status and error of jobs by id; unknown ids are absent. */
  statuses(jobIds: readonly string[]): Promise<Map<string, TrialJobState>>;
  /** Cancels a trial job on behalf of its driver. */
  cancel(projectId: string, driverJobId: string, jobId: string): Promise<void>;
  /** True when a user cancelled the job (a worker shutdown also aborts, but sets no request). */
  cancelRequested(jobId: string): Promise<boolean>;
}
