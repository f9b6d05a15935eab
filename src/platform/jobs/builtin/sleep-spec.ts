/** The `sleep` job kind's spec: its schema and the rules JSON Schema cannot say. */
import { Type, type Static } from '@sinclair/typebox';
import { ValidationError } from '../../errors/domain-error';
import { SpecSchema, specSchema } from '../../validation/spec-schema';

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

/**
 * The spec's parser: the schema, then failAtStep below steps and, unless `testHooks`
 * (AUTODL_TEST_HOOKS=1), no test hook that would kill the worker.
 */
export function sleepSpec(options: { testHooks: boolean }): SpecSchema<SleepSpec> {
  return specSchema(SleepSpecSchema, (spec, path) => {
    if (!options.testHooks) rejectTestHooks(spec, path);
    if (spec.failAtStep !== null && spec.failAtStep >= spec.steps) {
      throw ValidationError.field(
        `${path}.failAtStep`,
        `must be below steps (${spec.steps}), got ${spec.failAtStep}`,
      );
    }
    return spec;
  });
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
