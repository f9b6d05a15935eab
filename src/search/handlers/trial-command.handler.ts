/**
 * Job kind `trial-command`: runs one trial of a command-runner study (Katib's trial with the
 * StdOut metrics collector). A study with a runner `image` runs in a trial pod whose user
 * container this worker collects from (collected-trial.ts; AUTODL_TRIAL_POD_DIR set by the
 * Kubernetes executor). Otherwise the user's argv runs in the trial sandbox (sandboxed-trial.ts,
 * with the parameters as JSON in AUTODL_TRIAL_PARAMS and as `${name}` substitutions);
 * trial-process.ts supervises it (step reports, prune, timeout: the study's runner.timeoutS
 * capped by AUTODL_TRIAL_TIMEOUT_S, cancel) and trial-outcome.ts ends the trial. The project must
 * allow commands (checked again here, as a setting can change after the study was created). The
 * job tells the result itself, so a result is stored even if the driver is down; a re-run of a
 * finished trial does nothing.
 */
import { Inject, Injectable } from '@nestjs/common';
import { ProjectsRepository } from '../../platform/auth/projects.repository';
import { APP_CONFIG, AppConfig } from '../../platform/config/app-config';
import { ForbiddenError, UnprocessableError } from '../../platform/errors/domain-error';
import { cancelledIfRequested } from '../../platform/jobs/cancelled-if-requested';
import { JobContext, JobHandler } from '../../platform/jobs/job-handler';
import { TrialSandbox } from '../../platform/sandbox/trial-sandbox';
import { FrozenTrial } from '../core/trial';
import { StudyLoader } from '../study-loader';
import { TrialJobSpec, validateTrialJobSpec } from './trial-job';
import { TRIAL_JOBS, TrialJobs } from './trial-jobs.port';
import { concludeCommandTrial, finishTrial } from './trial-outcome';
import { runSandboxedTrial } from './sandboxed-trial';
import { runCollectedTrial, stopTrialContainer } from './collected-trial';
import { searchConfigOf } from '../trial-pods';

export type TrialCommandSpec = TrialJobSpec;

export interface TrialCommandResult {
  trial: number;
  state: FrozenTrial['state'];
  values: number[] | null;
  /** True when the trial was already finished (a re-queued job never re-runs a told trial). */
  alreadyFinished: boolean;
}

@Injectable()
export class TrialCommandHandler implements JobHandler<TrialCommandSpec, TrialCommandResult> {
  readonly kind = 'trial-command';

  private readonly sandbox: TrialSandbox;
  /** The trial pod's shared directory when this worker is a trial image's collector. */
  private readonly trialDir: string | null;
  private readonly maxTimeoutS: number;

  constructor(
    private readonly loader: StudyLoader,
    private readonly projects: ProjectsRepository,
    @Inject(TRIAL_JOBS) private readonly jobs: TrialJobs,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.sandbox = new TrialSandbox(config.trialSandbox);
    this.trialDir = searchConfigOf(config).trialDir;
    this.maxTimeoutS = config.trialSandbox.timeoutS;
  }

  validate(raw: unknown): TrialCommandSpec {
    return validateTrialJobSpec(raw);
  }

  async run(spec: TrialCommandSpec, ctx: JobContext): Promise<TrialCommandResult> {
    const dir = this.trialDir;
    if (dir === null) return this.runTrial(spec, ctx, null);
    // The user container waits for a command: whatever happens here, it must not wait in vain.
    return this.runTrial(spec, ctx, dir).finally(() => stopTrialContainer(dir));
  }

  private async runTrial(
    spec: TrialCommandSpec,
    ctx: JobContext,
    dir: string | null,
  ): Promise<TrialCommandResult> {
    const { row, study } = await this.loader.load(ctx.projectId, spec.studyId);
    const runner = row.config.runner;
    if (runner.type !== 'command')
      throw new UnprocessableError(`study ${spec.studyId} has no command runner`);
    const trial = await study.storage.getTrial(study.id, spec.trial);
    if (trial.state !== 'running') {
      // Finished before this job ran: by the driver when the study was cancelled (it asks this
      // job to cancel before it fails the trial, trials-in-flight.ts abandon, so the job ends
      // cancelled too, not succeeded), or by an earlier attempt (kept), as a NAS trial does.
      await cancelledIfRequested(ctx, () => this.jobs.cancelRequested(ctx.jobId));
      return result(trial, true);
    }

    if (!(await this.projects.allowsCommands(ctx.projectId))) {
      const why = 'the project does not allow command trials (allowCommands is off)';
      await finishTrial(study, trial.number, 'failed', { error: why });
      throw new ForbiddenError(why);
    }

    if (runner.image !== undefined && dir === null) {
      // A study made under the Kubernetes executor whose trial now runs elsewhere (or a pod
      // without the trial container): the command must not run in the wrong image.
      const why = `trial images need the Kubernetes executor; this worker has no ${runner.image} container`;
      await finishTrial(study, trial.number, 'failed', { error: why });
      throw new UnprocessableError(why);
    }
    const options = { runner, study, trial, objectives: row.config.metrics, ctx };
    const { outcome, argv, timeoutS } =
      runner.image !== undefined && dir !== null
        ? await runCollectedTrial(dir, { ...options, maxTimeoutS: this.maxTimeoutS })
        : await runSandboxedTrial(this.sandbox, options);
    const done = await concludeCommandTrial(outcome, {
      study,
      trialNumber: trial.number,
      config: row.config,
      argv,
      timeoutS,
      ctx,
      cancelRequested: () => this.jobs.cancelRequested(ctx.jobId),
    });
    return result(done, false);
  }
}

function result(t: FrozenTrial, alreadyFinished: boolean): TrialCommandResult {
  return { trial: t.number, state: t.state, values: t.values ?? null, alreadyFinished };
}
