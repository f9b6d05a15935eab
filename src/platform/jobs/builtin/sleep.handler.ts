import { setTimeout as sleep } from 'node:timers/promises';
import { JobCancelledError, JobContext, JobHandler } from '../job-handler';
import type { SpecSchema } from '../../validation/spec-schema';
import { SleepSpec, sleepSpec } from './sleep-spec';

export type { SleepSpec } from './sleep-spec';

export interface SleepResult {
  steps: number;
  resumedFrom: number;
  attempt: number;
}

/**
 * Built-in job kind for smoke checks, tests and queue benchmarks: `steps` steps of `stepMs`
 * each, a metric and a checkpoint per step, so a re-queued run resumes where it stopped.
 */
export class SleepHandler implements JobHandler<SleepSpec, SleepResult> {
  readonly kind = 'sleep';

  private readonly spec: SpecSchema<SleepSpec>;

  /**
   * `testHooks` (AUTODL_TEST_HOOKS=1) enables `crashAtStep`/`crashOnAttempt`, which SIGKILL the
   * worker process: shared by every project, so off unless the service runs for tests. Workers
   * re-validate the stored spec with their own setting, so a hook cannot run where it is off.
   */
  constructor(options: { testHooks: boolean } = { testHooks: false }) {
    this.spec = sleepSpec(options);
  }

  validate(raw: unknown): SleepSpec {
    return this.spec.parse(raw);
  }

  async run(spec: SleepSpec, ctx: JobContext): Promise<SleepResult> {
    const resumedFrom = readResumeStep(ctx.resumeFrom);
    for (let step = resumedFrom; step < spec.steps; step++) {
      if (ctx.cancelled) throw new JobCancelledError();
      if (spec.failAtStep === step)
        throw new Error(`failed at step ${step} as requested by failAtStep`);
      if (spec.crashAtStep === step && ctx.attempt <= spec.crashOnAttempt)
        process.kill(process.pid, 'SIGKILL');
      await ctx.log(`step ${step}`);
      if (spec.stepMs > 0) {
        await sleep(spec.stepMs, undefined, { signal: ctx.signal }).catch(() => {
          throw new JobCancelledError();
        });
      }
      await ctx.metric('step', step, step);
      if (spec.recordAttempt) {
        await ctx.metric('attempt', step, ctx.attempt);
        await ctx.artifact(`steps/${step}.txt`, `attempt ${ctx.attempt}`, 'text/plain');
      }
      await ctx.checkpoint({ step: step + 1 });
      await ctx.progress((step + 1) / spec.steps, `step ${step + 1}/${spec.steps}`);
    }
    return { steps: spec.steps, resumedFrom, attempt: ctx.attempt };
  }
}

function readResumeStep(state: unknown): number {
  if (typeof state === 'object' && state !== null && 'step' in state) {
    const step = (state as { step: unknown }).step;
    if (typeof step === 'number' && Number.isInteger(step) && step >= 0) return step;
  }
  return 0;
}
