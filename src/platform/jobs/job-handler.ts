/**
 * The contract between the job platform and the capabilities (search, transfer, interpret,
 * jizhi-sim, nas). A capability registers one JobHandler per job kind; a worker process
 * runs it with a JobContext. Handlers are plain classes; the platform provides all I/O.
 */
export interface ArtifactRef {
  jobId: string;
  name: string;
  size: number;
  sha256: string;
  contentType: string;
}

export interface JobContext {
  readonly jobId: string;
  readonly projectId: string;
  /** 1 on the first run, 2 after the first re-queue, ... */
  readonly attempt: number;
  /** Fraction done in [0, 1] and a short human message. Cheap: throttled by the platform. */
  progress(fraction: number, message?: string): Promise<void>;
  log(message: string, level?: 'info' | 'warn' | 'error'): Promise<void>;
  /** Idempotent per (name, step): a resumed job may report the same step again. */
  metric(name: string, step: number, value: number): Promise<void>;
  /** Persist resumable state (small JSON). A re-queued job gets it back as `resumeFrom`. */
  checkpoint(state: unknown): Promise<void>;
  /** The last checkpoint of an earlier attempt, if any. */
  readonly resumeFrom: unknown;
  /** Store a named artifact of this job (written atomically, sha256 recorded). */
  artifact(name: string, data: Buffer | string, contentType?: string): Promise<ArtifactRef>;
  /** Read an artifact of any job of the same project (e.g. a base model's weights). */
  readArtifact(jobId: string, name: string): Promise<Buffer>;
  /** True once cancellation was requested; long loops check it at every step. */
  readonly cancelled: boolean;
  /** Aborted together with `cancelled`, for APIs that take an AbortSignal. */
  readonly signal: AbortSignal;
  /**
   * Record a process group the handler started (a child spawned `detached: true`; its pid is
   * the group id): the platform kills it when the attempt ends, when the worker dies (the
   * supervisor does) or, after a crash of the whole service, at the next start. Contexts whose
   * handlers start no processes may leave it out.
   */
  registerProcessGroup?(pgid: number): void;
}

/**
 * Which workers run a kind. `compute` (the default): the work itself (training, simulation).
 * `coordinator`: a driver that mostly waits for child jobs (a study, a NAS run). Coordinators get
 * workers of their own, so a driver never holds the compute slot its trials need (with one
 * compute worker, a driver there would wait forever for trials that could never start).
 */
export type JobLane = 'compute' | 'coordinator';
export const JOB_LANES: readonly JobLane[] = ['compute', 'coordinator'];

/**
 * A top-level spec field naming a registered model or data set: an id, or a name unique in the
 * project. The platform resolves it to the id before the job is queued (JobHandlerRegistry), so a
 * worker only ever sees ids.
 */
export interface SpecReference {
  /** A top-level field, or `list[].field` for a field of every element of a top-level array. */
  field: string;
  kind: ReferenceKind;
}
export type ReferenceKind = 'model' | 'dataset';

export interface JobHandler<Spec = unknown, Result = unknown> {
  /** The job kind as used in the API, e.g. `sleep`, `finetune`, `simulate`. */
  readonly kind: string;
  /** Default `compute`; see JobLane. */
  readonly lane?: JobLane;
  /** Spec fields holding model / data set references (resolved to ids at enqueue). */
  readonly references?: readonly SpecReference[];
  /** Check and normalise a spec before it is queued; throw ValidationError naming the field. */
  validate(spec: unknown): Spec;
  /** Do the work. The returned value is stored as the job's result (JSON). */
  run(spec: Spec, ctx: JobContext): Promise<Result>;
}

/** Thrown by a handler that noticed `ctx.cancelled`; the platform marks the job cancelled. */
export class JobCancelledError extends Error {
  constructor() {
    super('job cancelled');
    this.name = 'JobCancelledError';
  }
}
