import { Inject, Injectable } from '@nestjs/common';
import {
  NotFoundError,
  UnprocessableError,
  ValidationError,
  type FieldProblem,
} from '../platform/errors/domain-error';
import type { Principal } from '../platform/auth/projects.service';
import { JobEntity } from '../platform/jobs/job.entity';
import { JobsService } from '../platform/jobs/jobs.service';
import { RingRequest, ringReport } from './core/ring';
import { SimulateJobHandler } from './simulate.handler';
import { TuneJobHandler } from './tune.handler';

export interface SimArtifact {
  name: string;
  contentType: string;
  size: number;
  url: string;
}

/**
 * What the simulator's resources need from the job platform (JobsService provides it; the unit
 * spec an in-memory fake). Simulations and tunings have no table of their own.
 */
export type SimJobs = Pick<JobsService, 'submit' | 'get' | 'artifacts'>;

/** The job kinds behind /v1/simulations and /v1/tunings, and what a wrong id is called. */
const RESOURCES = { simulate: 'simulation', tune: 'tuning' } as const;
type SimKind = keyof typeof RESOURCES;

/**
 * Rules of the simulator's REST resources. A simulation or tuning is a job of kind `simulate` /
 * `tune` of the caller's project; anything else under that id is a 404. Requests are validated by
 * the kind's handler before queueing, so bad pipelines are 400 / 422 answers naming the field
 * (as in the request body), never failed jobs.
 */
@Injectable()
export class JizhiSimService {
  constructor(
    @Inject(JobsService) private readonly jobs: SimJobs,
    private readonly simulateHandler: SimulateJobHandler,
    private readonly tuneHandler: TuneJobHandler,
  ) {}

  async submit(
    principal: Principal,
    kind: SimKind,
    body: unknown,
    idempotencyKey: string | null,
  ): Promise<JobEntity> {
    // Validating here (not only inside JobsService.submit, which prefixes `spec.`) reports the
    // fields as the caller wrote them: `pipeline.stages[1].next[0]`, not `spec.pipeline...`.
    const handler = kind === 'simulate' ? this.simulateHandler : this.tuneHandler;
    const spec = handler.validate(body);
    const { job } = await this.jobs.submit(principal, kind, spec, { idempotencyKey });
    return job;
  }

  /**
   * Checks a simulation or tuning request without queueing anything (the console's pipeline
   * editor calls it as the user types): the same rules as submit, answered as {valid, problems}
   * where each problem names its field and says whether it is malformed (400 on submit) or
   * unprocessable, e.g. an unstable stage (422 on submit).
   */
  validate(
    kind: SimKind,
    body: unknown,
  ): { valid: boolean; problems: (FieldProblem & { kind: 'validation' | 'unprocessable' })[] } {
    const handler = kind === 'simulate' ? this.simulateHandler : this.tuneHandler;
    try {
      handler.validate(body);
      return { valid: true, problems: [] };
    } catch (e) {
      if (!(e instanceof ValidationError || e instanceof UnprocessableError)) throw e;
      const problems = e.problems.length > 0 ? e.problems : [{ field: '', message: e.message }];
      return { valid: false, problems: problems.map((p) => ({ ...p, kind: e.kind })) };
    }
  }

  async get(
    principal: Principal,
    kind: SimKind,
    id: string,
  ): Promise<{ job: JobEntity; artifacts: SimArtifact[] }> {
    let job: JobEntity;
    try {
      job = await this.jobs.get(principal, id);
    } catch (e) {
      if (e instanceof NotFoundError) throw new NotFoundError(RESOURCES[kind], id);
      throw e;
    }
    if (job.kind !== kind) throw new NotFoundError(RESOURCES[kind], id);
    const rows = await this.jobs.artifacts(principal, id);
    const artifacts = rows.map((a) => ({
      name: a.name,
      contentType: a.contentType,
      size: a.size,
      url: `/v1/jobs/${id}/artifacts/${encodeURIComponent(a.name)}`,
    }));
    return { job, artifacts };
  }

  /** The RSPS ring table, computed synchronously (bounded work per row, see core/ring.ts). */
  ring(body: RingRequest): ReturnType<typeof ringReport> {
    return ringReport(body);
  }
}
