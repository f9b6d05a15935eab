/**
 * Job kind `nas-trial`: one candidate of a `nas` job's study (child job, parentId = the nas job,
 * spec `{ studyId, trial }`), queued by the driver (nas.handler.ts). The work is NasTrialRun's
 * (nas-trial-run.ts); what outlives the job (reports, tell, weights, checkpoints) goes through
 * its context (nas-trial-io.ts).
 */
import { JobContext, JobHandler } from '../platform/jobs/job-handler';
import type { TrialJobSpec } from '../search/handlers/trial-job';
import { nasTrialSpec } from './nas-trial.schema';
import { NasTrialResult, NasTrialRun } from './nas-trial-run';

export type { NasTrialResult } from './nas-trial-run';

export class NasTrialHandler implements JobHandler<TrialJobSpec, NasTrialResult> {
  readonly kind = 'nas-trial';

  constructor(private readonly trials: NasTrialRun) {}

  validate(raw: unknown): TrialJobSpec {
    return nasTrialSpec.parse(raw);
  }

  run(spec: TrialJobSpec, ctx: JobContext): Promise<NasTrialResult> {
    return this.trials.run(spec, ctx);
  }
}
