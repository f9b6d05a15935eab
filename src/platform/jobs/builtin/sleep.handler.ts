import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError } from '../../errors/domain-error';
import { JobCancelledError, JobContext, JobHandler } from '../job-handler';
import {
  readBoolean,
  readInt,
  readObject,
  rejectUnknownFields,
} from '../../validation/spec-reader';

export interface SleepSpec {
  steps: number;
  stepMs: number;
  /** Throw an error when reaching this step (tests the failure path). */
  failAtStep: number | null;
  /** Kill the worker process with SIGKILL at this step, on attempts <= crashOnAttempt. */
  crashAtStep: number | null;
  crashOnAttempt: number;
  /** Per step, also a metric `attempt` and an artifact `steps/<step>.txt` naming the attempt. */
  recordAttempt: boolean;
}

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

  /**
   * `testHooks` (AUTODL_TEST_HOOKS=1) enables `crashAtStep`/`crashOnAttempt`, which SIGKILL the
   * worker process: shared by every project, so off unless the service runs for tests. Workers
   * re-validate the stored spec with their own setting, so a hook cannot run where it is off.
   */
  constructor(private readonly options: { testHooks: boolean } = { testHooks: false }) {}

  validate(raw: unknown): SleepSpec {
    const spec = readObject(raw ?? {}, 'spec');
    rejectUnknownFields(
      spec,
      ['steps', 'stepMs', 'failAtStep', 'crashAtStep', 'crashOnAttempt', 'recordAttempt'],
      'spec',
    );
    if (!this.options.testHooks) rejectTestHooks(spec);
    const steps = readInt(spec, 'steps', { min: 0, max: 1_000_000, default: 10 }, 'spec');
    const stepMs = readInt(spec, 'stepMs', { min: 0, max: 3_600_000, default: 100 }, 'spec');
    const failAtStep = readInt(
      spec,
      'failAtStep',
      { min: 0, max: 1_000_000, default: null },
      'spec',
    );
    const crashAtStep = readInt(
      spec,
      'crashAtStep',
      { min: 0, max: 1_000_000, default: null },
      'spec',
    );
    const crashOnAttempt = readInt(
      spec,
      'crashOnAttempt',
      { min: 1, max: 100, default: 1 },
      'spec',
    );
    if (failAtStep !== null && failAtStep >= steps) {
      throw ValidationError.field(
        'spec.failAtStep',
        `must be below steps (${steps}), got ${failAtStep}`,
      );
    }
    const recordAttempt = readBoolean(spec, 'recordAttempt', { default: false }, 'spec');
    return { steps, stepMs, failAtStep, crashAtStep, crashOnAttempt, recordAttempt };
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

/**
 * The hooks' normalised "off" values (crashAtStep null, crashOnAttempt 1) are what every stored
 * sleep spec carries, so only a value that would crash is refused.
 */
function rejectTestHooks(spec: Record<string, unknown>): void {
  const hooks = [
    ['crashAtStep', spec.crashAtStep !== undefined && spec.crashAtStep !== null],
    ['crashOnAttempt', spec.crashOnAttempt !== undefined && spec.crashOnAttempt !== 1],
  ] as const;
  for (const [field, given] of hooks) {
    if (given) {
      throw ValidationError.field(
        `spec.${field}`,
        'is a test hook (it kills the worker process); accepted only when the service runs with AUTODL_TEST_HOOKS=1',
      );
    }
  }
}

/** `noop`: finishes at once; the cheapest job for queue throughput measurements. */
export class NoopHandler implements JobHandler<Record<string, never>, Record<string, never>> {
  readonly kind = 'noop';

  validate(raw: unknown): Record<string, never> {
    rejectUnknownFields(readObject(raw ?? {}, 'spec'), [], 'spec');
    return {};
  }

  async run(): Promise<Record<string, never>> {
    return {};
  }
}

function readResumeStep(state: unknown): number {
  if (typeof state === 'object' && state !== null && 'step' in state) {
    const step = (state as { step: unknown }).step;
    if (typeof step === 'number' && Number.isInteger(step) && step >= 0) return step;
  }
  return 0;
}
