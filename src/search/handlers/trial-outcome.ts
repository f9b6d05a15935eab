/**
 * How a command trial's process outcome ends its trial (the `trial-command` job's result):
 * exit 0 with every objective printed is a complete trial told with its values and constraint
 * values; a prune is told pruned; a timeout, a non-zero exit, a start failure or a missing
 * objective fail the trial (its error and stderr tail kept as user attributes) and the job; a
 * user cancel fails the trial, a worker shutdown leaves it running for the re-queued job.
 */
import { UnprocessableError } from '../../platform/errors/domain-error';
import { JobCancelledError, JobContext } from '../../platform/jobs/job-handler';
import { constraintValues } from '../core/config/validate-study';
import type { StudyConfig } from '../core/config/study-config';
import { Study } from '../core/study';
import { FrozenTrial } from '../core/trial';
import { tellFromJob } from './trial-job';
import { TrialProcessOutcome } from './trial-process';

export interface CommandTrial {
  study: Study;
  trialNumber: number;
  config: StudyConfig;
  argv: readonly string[];
  timeoutS: number;
  ctx: JobContext;
  cancelRequested: () => Promise<boolean>;
}

/** Ends the trial as the outcome says; returns the finished trial or throws the job's error. */
export async function concludeCommandTrial(
  outcome: TrialProcessOutcome,
  t: CommandTrial,
): Promise<FrozenTrial> {
  const n = t.trialNumber;
  if (outcome.kind === 'cancelled') {
    if (await t.cancelRequested())
      await finishTrial(t.study, n, 'failed', { error: 'trial job cancelled' });
    throw new JobCancelledError();
  }
  if (outcome.kind === 'pruned') return finishTrial(t.study, n, 'pruned', {});
  if (outcome.kind === 'timeout') {
    await finishTrial(t.study, n, 'failed', {
      error: `timed out after ${t.timeoutS} s`,
      stderrTail: outcome.stderr,
    });
    throw new UnprocessableError(`trial ${n} timed out after ${t.timeoutS} s`);
  }
  if (outcome.kind === 'error' || outcome.code !== 0) {
    const why =
      outcome.kind === 'error'
        ? `could not start ${JSON.stringify(t.argv[0])}: ${outcome.message}`
        : `exited with ${outcome.signal ? `signal ${outcome.signal}` : `code ${outcome.code}`}`;
    await finishTrial(t.study, n, 'failed', { error: why, stderrTail: outcome.stderr });
    throw new UnprocessableError(
      `trial ${n} ${why}${outcome.stderr ? `; stderr tail:\n${outcome.stderr}` : ''}`,
    );
  }
  const { metrics, constraints } = t.config;
  const missing = metrics.filter((m) => outcome.metrics[m] === undefined);
  if (missing.length) {
    const why = `printed no ${missing.map((m) => `${m}=`).join(', ')} line (see the trial command protocol)`;
    await finishTrial(t.study, n, 'failed', { error: why, stderrTail: outcome.stderr });
    throw new UnprocessableError(`trial ${n} ${why}`);
  }
  const values = metrics.map((m) => outcome.metrics[m]);
  const done = await tellFromJob(t.study, n, () =>
    t.study.tell(n, {
      values,
      constraints: constraints.length ? constraintValues(constraints, outcome.metrics) : undefined,
    }),
  );
  for (const [name, value] of Object.entries(outcome.metrics))
    await t.ctx.metric(`final/${name}`, 0, value);
  return done;
}

/** Fails or prunes the trial, keeping the given attributes (a tell that lost keeps the other). */
export async function finishTrial(
  study: Study,
  trialNumber: number,
  state: 'failed' | 'pruned',
  attrs: { error?: string; stderrTail?: string },
): Promise<FrozenTrial> {
  for (const [k, v] of Object.entries(attrs))
    if (v) await study.storage.setTrialUserAttr(study.id, trialNumber, k, v);
  return tellFromJob(study, trialNumber, () => study.tell(trialNumber, state));
}
