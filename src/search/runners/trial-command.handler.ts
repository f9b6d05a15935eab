/**
 * Job kind `trial-command`: runs one trial of a command-runner study (Katib's trial with the
 * StdOut metrics collector). The user's argv runs without a shell in the trial sandbox
 * (src/platform/sandbox: clean environment, own work directory, unprivileged user, rlimits, own
 * process group that dies with the worker), with the parameters as JSON in AUTODL_TRIAL_PARAMS
 * and as `${name}` substitutions; its stdout is
 * read line by line (command-protocol.ts). Lines with `step=N` are reported to the study, and
 * when the pruner says so the process group is killed and the trial ends pruned. A non-zero exit
 * fails the trial and keeps its stderr tail; the wall clock (the study's runner.timeoutS capped
 * by AUTODL_TRIAL_TIMEOUT_S) kills it. The project must allow commands (checked again here, as a
 * setting can change after the study was created). The job tells the result itself,
 * so a result is stored even if the driver is down; a re-run of a finished trial does nothing.
 */
import { ChildProcess } from 'node:child_process';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ProjectsRepository } from '../../platform/auth/projects.repository';
import { APP_CONFIG, AppConfig } from '../../platform/config/app-config';
import {
  ConflictError,
  ForbiddenError,
  UnprocessableError,
} from '../../platform/errors/domain-error';
import { JobCancelledError, JobContext, JobHandler } from '../../platform/jobs/job-handler';
import { Study, constraintValues } from '../core';
import { FrozenTrial } from '../core/trial';
import { SEARCH_SERVICE_DEFAULTS } from '../study-config';
import { loadStudy } from '../study-loader';
import {
  LineSplitter,
  MetricCollector,
  parseMetricLine,
  substituteArgs,
  tail,
} from './command-protocol';
import {
  TrialJobSpec,
  cancelRequested,
  tellFromJob,
  validateTrialJobSpec,
} from './trial-job-driver';
import { TrialSandbox, killProcessGroup } from '../../platform/sandbox/trial-sandbox';

export type TrialCommandSpec = TrialJobSpec;

export interface TrialCommandResult {
  trial: number;
  state: FrozenTrial['state'];
  values: number[] | null;
  /** True when the trial was already finished (a re-queued job never re-runs a told trial). */
  alreadyFinished: boolean;
}

/** Grace between SIGTERM and SIGKILL of the trial's process group. */
const KILL_GRACE_MS = 2000;

@Injectable()
export class TrialCommandHandler implements JobHandler<TrialCommandSpec, TrialCommandResult> {
  readonly kind = 'trial-command';

  private readonly sandbox: TrialSandbox;
  private readonly projects: ProjectsRepository;

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.sandbox = new TrialSandbox(config.trialSandbox);
    this.projects = new ProjectsRepository(db);
  }

  validate(raw: unknown): TrialCommandSpec {
    return validateTrialJobSpec(raw);
  }

  async run(spec: TrialCommandSpec, ctx: JobContext): Promise<TrialCommandResult> {
    const { row, study } = await loadStudy(this.db, ctx.projectId, spec.studyId);
    const runner = row.config.runner;
    if (runner.type !== 'command')
      throw new UnprocessableError(`study ${spec.studyId} has no command runner`);
    const trial = await study.storage.getTrial(study.id, spec.trial);
    if (trial.state !== 'running') return result(trial, true);

    if (!(await this.projects.allowsCommands(ctx.projectId))) {
      const why = 'the project does not allow command trials (allowCommands is off)';
      await this.finish(study, trial.number, 'failed', { error: why });
      throw new ForbiddenError(why);
    }

    const argv = substituteArgs(runner.command, trial.params);
    await ctx.log(`trial ${trial.number}: ${JSON.stringify(argv)}`);
    const sandboxed = await this.sandbox.spawn({
      jobId: ctx.jobId,
      argv,
      declaredEnv: runner.env,
      trialEnv: {
        AUTODL_TRIAL_PARAMS: JSON.stringify(trial.params),
        AUTODL_TRIAL_NUMBER: String(trial.number),
        AUTODL_STUDY_ID: study.id,
      },
      timeoutS: runner.timeoutS,
    });
    // The platform kills the group if this worker dies or loses the job (process-groups.ts).
    if (sandboxed.proc.pid !== undefined) ctx.registerProcessGroup?.(sandboxed.proc.pid);
    const timeoutS = sandboxed.timeoutS;
    const outcome = await this.supervise(
      sandboxed.proc,
      study,
      trial.number,
      row.config.metrics,
      ctx,
      { timeoutS },
    ).finally(() => sandboxed.dispose());
    const config = row.config;

    if (outcome.kind === 'cancelled') {
      // A user cancel ends the trial; a worker shutdown leaves it running for the re-queued job.
      if (await cancelRequested(this.db, ctx.jobId)) {
        await this.finish(study, trial.number, 'failed', { error: 'trial job cancelled' });
      }
      throw new JobCancelledError();
    }
    if (outcome.kind === 'pruned') {
      const done = await this.finish(study, trial.number, 'pruned', {});
      return result(done, false);
    }
    if (outcome.kind === 'timeout') {
      await this.finish(study, trial.number, 'failed', {
        error: `timed out after ${timeoutS} s`,
        stderrTail: outcome.stderr,
      });
      throw new UnprocessableError(`trial ${trial.number} timed out after ${timeoutS} s`);
    }
    if (outcome.kind === 'error' || outcome.code !== 0) {
      const why =
        outcome.kind === 'error'
          ? `could not start ${JSON.stringify(argv[0])}: ${outcome.message}`
          : `exited with ${outcome.signal ? `signal ${outcome.signal}` : `code ${outcome.code}`}`;
      await this.finish(study, trial.number, 'failed', { error: why, stderrTail: outcome.stderr });
      throw new UnprocessableError(
        `trial ${trial.number} ${why}${outcome.stderr ? `; stderr tail:\n${outcome.stderr}` : ''}`,
      );
    }
    const missing = config.metrics.filter((m) => outcome.metrics[m] === undefined);
    if (missing.length) {
      const why = `printed no ${missing.map((m) => `${m}=`).join(', ')} line (see the trial command protocol)`;
      await this.finish(study, trial.number, 'failed', { error: why, stderrTail: outcome.stderr });
      throw new UnprocessableError(`trial ${trial.number} ${why}`);
    }
    const values = config.metrics.map((m) => outcome.metrics[m]);
    const constraints = config.constraints.length
      ? constraintValues(config.constraints, outcome.metrics)
      : undefined;
    const done = await tellFromJob(study, trial.number, () =>
      study.tell(trial.number, { values, constraints }),
    );
    for (const [name, value] of Object.entries(outcome.metrics))
      await ctx.metric(`final/${name}`, 0, value);
    return result(done, false);
  }

  /** Runs the process to its end, reporting step lines and enforcing prune/timeout/cancel. */
  private supervise(
    proc: ChildProcess,
    study: Study,
    trialNumber: number,
    objectives: readonly string[],
    ctx: JobContext,
    opts: { timeoutS: number },
  ): Promise<
    | {
        kind: 'exit';
        code: number | null;
        signal: string | null;
        metrics: Record<string, number>;
        stderr: string;
      }
    | { kind: 'pruned' }
    | { kind: 'cancelled' }
    | { kind: 'timeout'; stderr: string }
    | { kind: 'error'; message: string; stderr: string }
  > {
    const lines = new LineSplitter();
    const collector = new MetricCollector();
    let stderr = '';
    let stopped: 'pruned' | 'cancelled' | 'timeout' | null = null;
    let reports: Promise<void> = Promise.resolve();
    let reportError: unknown;
    let killTimer: NodeJS.Timeout | undefined;

    const kill = (why: 'pruned' | 'cancelled' | 'timeout') => {
      if (stopped) return;
      stopped = why;
      killProcessGroup(proc, 'SIGTERM');
      killTimer = setTimeout(() => killProcessGroup(proc, 'SIGKILL'), KILL_GRACE_MS);
    };
    const onLine = (line: string) => {
      const parsed = parseMetricLine(line);
      if (!parsed) return;
      collector.add(parsed);
      const step = parsed.step;
      if (step === undefined) return;
      const values = objectives.map((m) => parsed.metrics[m]);
      reports = reports.then(async () => {
        if (stopped) return;
        for (const [name, value] of Object.entries(parsed.metrics))
          await ctx.metric(name, step, value);
        if (values.some((v) => v === undefined || Number.isNaN(v))) return;
        const { shouldPrune } = await study.report(trialNumber, values, step);
        if (shouldPrune) kill('pruned');
      });
      reports = reports.catch((e: unknown) => {
        reportError ??= e;
      });
    };

    proc.stdout
      ?.setEncoding('utf8')
      .on('data', (chunk: string) => lines.push(chunk).forEach(onLine));
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = tail(stderr + chunk, SEARCH_SERVICE_DEFAULTS.stderrTailBytes);
    });
    const onAbort = () => kill('cancelled');
    ctx.signal.addEventListener('abort', onAbort);
    if (ctx.cancelled) onAbort();
    const timer = setTimeout(() => kill('timeout'), opts.timeoutS * 1000);

    return new Promise((resolve, reject) => {
      let spawnError: Error | undefined;
      proc.on('error', (e) => (spawnError = e));
      proc.on('close', (code, signal) => {
        lines.end().forEach(onLine);
        clearTimeout(timer);
        clearTimeout(killTimer);
        ctx.signal.removeEventListener('abort', onAbort);
        void reports.then(() => {
          if (reportError !== undefined && !(reportError instanceof ConflictError))
            return reject(reportError);
          // A trial that ended by itself with all its objectives just before a stop (the sandbox
          // guard reports the exit a moment later) keeps its result: a worker shutdown must not
          // make a finished trial run again. The pruner's word still wins.
          const finishedItself =
            code === 0 && objectives.every((m) => collector.last[m] !== undefined);
          if (stopped === 'pruned') return resolve({ kind: 'pruned' });
          if (stopped === 'timeout' && !finishedItself) return resolve({ kind: 'timeout', stderr });
          if (stopped === 'cancelled' && !finishedItself) return resolve({ kind: 'cancelled' });
          if (spawnError) return resolve({ kind: 'error', message: spawnError.message, stderr });
          resolve({ kind: 'exit', code, signal, metrics: collector.last, stderr });
        });
      });
    });
  }

  private async finish(
    study: Study,
    trialNumber: number,
    state: 'failed' | 'pruned',
    attrs: { error?: string; stderrTail?: string },
  ): Promise<FrozenTrial> {
    for (const [k, v] of Object.entries(attrs))
      if (v) await study.storage.setTrialUserAttr(study.id, trialNumber, k, v);
    return tellFromJob(study, trialNumber, () => study.tell(trialNumber, state));
  }
}

function result(t: FrozenTrial, alreadyFinished: boolean): TrialCommandResult {
  return { trial: t.number, state: t.state, values: t.values ?? null, alreadyFinished };
}
