import { setTimeout as sleep } from 'node:timers/promises';
import { Type, type Static } from '@sinclair/typebox';
import { ValidationError } from '../../errors/domain-error';
import { JobCancelledError, JobContext, JobHandler } from '../job-handler';
import { specSchema } from '../../validation/spec-schema';

const Step = Type.Integer({ minimum: 0, maximum: 1_000_000 });

/** The `sleep` spec: its one schema (OpenAPI, validation at enqueue, defaults). */
export const SleepSpecSchema = Type.Object(
  {
    steps: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 10 }),
    stepMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 100 }),
    /** Throw an error when reaching this step (tests the failure path). */
    failAtStep: Type.Union([Step, Type.Null()], { default: null }),
    /** Kill the worker process with SIGKILL at this step, on attempts <= crashOnAttempt. */
    crashAtStep: Type.Union([Step, Type.Null()], { default: null }),
    crashOnAttempt: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
    /** Per step, also a metric `attempt` and an artifact `steps/<step>.txt` naming the attempt. */
    recordAttempt: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);
export type SleepSpec = Static<typeof SleepSpecSchema>;

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

  private readonly spec = specSchema(SleepSpecSchema, (spec, path) => {
    if (!this.options.testHooks) rejectTestHooks(spec, path);
    if (spec.failAtStep !== null && spec.failAtStep >= spec.steps) {
      throw ValidationError.field(
        `${path}.failAtStep`,
        `must be below steps (${spec.steps}), got ${spec.failAtStep}`,
      );
    }
    return spec;
  });

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

/**
 * The hooks' normalised "off" values (crashAtStep null, crashOnAttempt 1) are what every stored
 * sleep spec carries, so only a value that would crash is refused.
 */
function rejectTestHooks(spec: SleepSpec, path: string): void {
  const hooks = [
    ['crashAtStep', spec.crashAtStep !== null],
    ['crashOnAttempt', spec.crashOnAttempt !== 1],
  ] as const;
  for (const [field, given] of hooks) {
    if (given) {
      throw ValidationError.field(
        `${path}.${field}`,
        'is a test hook (it kills the worker process); accepted only when the service runs with AUTODL_TEST_HOOKS=1',
      );
    }
  }
}

function readResumeStep(state: unknown): number {
  if (typeof state === 'object' && state !== null && 'step' in state) {
    const step = (state as { step: unknown }).step;
    if (typeof step === 'number' && Number.isInteger(step) && step >= 0) return step;
  }
  return 0;
}
