/**
 * The job platform in memory, for runNas: trial jobs run as promises in this process (at most the
 * driver's parallelism at once, since it queues no more), their artifacts (evolution weights,
 * checkpoints) kept in maps, cancellation from the caller's `shouldStop`.
 */
import { NotFoundError } from '../../platform/errors/domain-error';
import { ArtifactRef, JobCancelledError, JobContext } from '../../platform/jobs/job-handler';
import { TrialJobSpec } from '../../search/handlers/trial-job';
import { TrialJobState, TrialJobs } from '../../search/handlers/trial-jobs.port';
import { MemoryStudies } from './memory-studies';

/** Trial jobs whose weights are kept (aging evolution only picks recent parents). */
const KEPT_JOBS = 50;

/** Artifacts by job and name. */
export class MemoryArtifacts {
  private readonly byJob = new Map<string, Map<string, Buffer>>();

  put(jobId: string, name: string, data: Buffer): void {
    const files = this.byJob.get(jobId) ?? new Map<string, Buffer>();
    this.byJob.set(jobId, files);
    files.set(name, data);
  }

  get(jobId: string, name: string): Buffer {
    const data = this.byJob.get(jobId)?.get(name);
    if (!data) throw new NotFoundError('artifact', `${jobId}/${name}`);
    return data;
  }

  /** Keeps only `keep` of a finished job, and the files of the last KEPT_JOBS jobs. */
  retain(jobId: string, keep: string): void {
    const files = this.byJob.get(jobId);
    if (files) for (const name of [...files.keys()]) if (name !== keep) files.delete(name);
    while (this.byJob.size > KEPT_JOBS) this.byJob.delete(this.byJob.keys().next().value as string);
  }
}

export interface MemoryContextHooks {
  cancelled: () => boolean;
  progress?: (fraction: number, message: string) => void | Promise<void>;
}

export class MemoryJobContext implements JobContext {
  readonly attempt = 1;
  readonly resumeFrom = undefined;
  private readonly abort = new AbortController();

  constructor(
    readonly jobId: string,
    readonly projectId: string,
    private readonly artifacts: MemoryArtifacts,
    private readonly hooks: MemoryContextHooks,
  ) {}

  get cancelled(): boolean {
    if (!this.abort.signal.aborted && this.hooks.cancelled()) this.abort.abort();
    return this.abort.signal.aborted;
  }

  get signal(): AbortSignal {
    void this.cancelled; // a cancel seen first through the signal aborts it too
    return this.abort.signal;
  }

  async progress(fraction: number, message = ''): Promise<void> {
    await this.hooks.progress?.(fraction, message);
  }

  async log(): Promise<void> {}
  async metric(): Promise<void> {}
  async checkpoint(): Promise<void> {}

  async artifact(name: string, data: Buffer | string, contentType = ''): Promise<ArtifactRef> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    this.artifacts.put(this.jobId, name, buf);
    return { jobId: this.jobId, name, size: buf.length, sha256: '', contentType };
  }

  async readArtifact(jobId: string, name: string): Promise<Buffer> {
    return this.artifacts.get(jobId, name);
  }
}

interface MemoryJob {
  state: TrialJobState;
  cancelRequested: boolean;
  done: Promise<void>;
}

/** TrialJobs that run each trial job right away with `run`. */
export class MemoryTrialJobs implements TrialJobs {
  private readonly jobs = new Map<string, MemoryJob>();
  private run: (spec: TrialJobSpec, ctx: JobContext) => Promise<unknown> = async () => {
    throw new Error('MemoryTrialJobs: no trial runner');
  };

  constructor(
    private readonly studies: MemoryStudies,
    private readonly artifacts: MemoryArtifacts,
    /** A user cancel of the whole search (every job sees it). */
    private readonly shouldStop: () => boolean,
    /** The artifact a finished trial job keeps for later jobs. */
    private readonly kept: string,
  ) {}

  runWith(run: (spec: TrialJobSpec, ctx: JobContext) => Promise<unknown>): this {
    this.run = run;
    return this;
  }

  async dispatch(o: {
    projectId: string;
    kind: string;
    studyId: string;
    trialNumber: number;
  }): Promise<void> {
    const id = `${o.kind}-${this.jobs.size}`;
    this.studies.setTrialJob(o.studyId, o.trialNumber, id);
    const job: MemoryJob = {
      state: { status: 'running', error: null },
      cancelRequested: false,
      done: Promise.resolve(),
    };
    this.jobs.set(id, job);
    const ctx = new MemoryJobContext(id, o.projectId, this.artifacts, {
      cancelled: () => job.cancelRequested || this.shouldStop(),
    });
    job.done = this.run({ studyId: o.studyId, trial: o.trialNumber }, ctx).then(
      () => void (job.state = { status: 'succeeded', error: null }),
      (e: unknown) =>
        void (job.state =
          e instanceof JobCancelledError
            ? { status: 'cancelled', error: null }
            : { status: 'failed', error: e instanceof Error ? e.message : String(e) }),
    );
    job.done = job.done.then(() => this.artifacts.retain(id, this.kept));
  }

  async statuses(jobIds: readonly string[]): Promise<Map<string, TrialJobState>> {
    const out = new Map<string, TrialJobState>();
    for (const id of jobIds) {
      const job = this.jobs.get(id);
      if (job) out.set(id, { ...job.state });
    }
    return out;
  }

  async cancel(_projectId: string, _driverJobId: string, jobId: string): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job) job.cancelRequested = true;
  }

  async cancelRequested(jobId: string): Promise<boolean> {
    return (this.jobs.get(jobId)?.cancelRequested ?? false) || this.shouldStop();
  }

  /** Waits until every job has ended. */
  async settle(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((j) => j.done));
  }
}
