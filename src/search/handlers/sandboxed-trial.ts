/**
 * One command trial's process, start to end: the study's argv with the trial's `${name}`
 * substitutions runs without a shell in the trial sandbox (src/platform/sandbox: clean
 * environment, own work directory, unprivileged user, rlimits, own process group), with the
 * parameters as JSON in AUTODL_TRIAL_PARAMS; superviseTrialProcess (trial-process.ts) watches it
 * to its end, and the sandbox is disposed whatever the outcome.
 */
import { JobContext } from '../../platform/jobs/job-handler';
import { TrialSandbox, TrialSpawnRequest } from '../../platform/sandbox/trial-sandbox';
import { substituteArgs } from '../core/command-protocol';
import { Study } from '../core/study';
import { FrozenTrial } from '../core/trial';
import { TrialProcessOutcome, superviseTrialProcess } from './trial-process';

/** What of the study's command runner (`runner` of type `command`) the process needs. */
export interface TrialCommand {
  command: readonly string[];
  env: TrialSpawnRequest['declaredEnv'];
  timeoutS: TrialSpawnRequest['timeoutS'];
}

/** What a trial command finds in its environment besides the runner's own `env`. */
export function trialEnv(study: Study, trial: FrozenTrial): Record<string, string> {
  return {
    AUTODL_TRIAL_PARAMS: JSON.stringify(trial.params),
    AUTODL_TRIAL_NUMBER: String(trial.number),
    AUTODL_STUDY_ID: study.id,
  };
}

export async function runSandboxedTrial(
  sandbox: TrialSandbox,
  o: {
    runner: TrialCommand;
    study: Study;
    trial: FrozenTrial;
    /** The study's objective metrics, in the order of its directions. */
    objectives: readonly string[];
    ctx: JobContext;
  },
): Promise<{ outcome: TrialProcessOutcome; argv: string[]; timeoutS: number }> {
  const { study, trial, ctx } = o;
  const argv = substituteArgs(o.runner.command, trial.params);
  await ctx.log(`trial ${trial.number}: ${JSON.stringify(argv)}`);
  const sandboxed = await sandbox.spawn({
    jobId: ctx.jobId,
    argv,
    declaredEnv: o.runner.env,
    trialEnv: trialEnv(study, trial),
    timeoutS: o.runner.timeoutS,
  });
  // The platform kills the group if this worker dies or loses the job (process-groups.ts).
  if (sandboxed.proc.pid !== undefined) ctx.registerProcessGroup?.(sandboxed.proc.pid);
  const { timeoutS } = sandboxed;
  const outcome = await superviseTrialProcess({
    proc: sandboxed.proc,
    study,
    trialNumber: trial.number,
    objectives: o.objectives,
    ctx,
    timeoutS,
  }).finally(() => sandboxed.dispose());
  return { outcome, argv, timeoutS };
}
