/** The schema of job kind `nas-trial`: `{ studyId, trial }`, queued by the `nas` driver only. */
import { Type } from '@sinclair/typebox';
import { specSchema, type SpecSchema } from '../platform/validation/spec-schema';
import type { TrialJobSpec } from '../search/handlers/trial-job';

export const NasTrialSpecSchema = Type.Object(
  {
    studyId: Type.String({
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
      description: 'The NAS study',
    }),
    trial: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'The trial number' }),
  },
  { additionalProperties: false },
);

export const nasTrialSpec: SpecSchema<TrialJobSpec> = specSchema(NasTrialSpecSchema);
