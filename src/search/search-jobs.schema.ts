import { Type, type Static } from '@sinclair/typebox';
import {
  IMAGE_REFERENCE_MAX_LENGTH,
  IMAGE_REFERENCE_PATTERN,
} from '../platform/validation/image-reference';
import { placementSchema } from '../platform/validation/placement';
import { resourcesProperty } from '../platform/validation/job-resources';
import { specSchema } from '../platform/validation/spec-schema';

/*
 * The schemas of the jobs a study queues for itself (ARCHITECTURE.md, "one schema per job
 * kind"): the `study` driver and each trial job (`trial-command`, `nas-trial`). Their specs only
 * point at the study; what the study runs is its stored, normalised config (study.schema.ts).
 */

const StudyId = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  description: 'The study (a UUID)',
});

const StudyJobSchema = Type.Object({ studyId: StudyId }, { additionalProperties: false });

/** `study`: `{ studyId }`. */
export type StudyJobSpec = Static<typeof StudyJobSchema>;
export const studyJobSpec = specSchema(StudyJobSchema);

const TrialJobSchema = Type.Object(
  {
    studyId: StudyId,
    trial: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'The trial number' }),
    trialImage: Type.Optional(
      Type.String({
        pattern: IMAGE_REFERENCE_PATTERN,
        maxLength: IMAGE_REFERENCE_MAX_LENGTH,
        description: "The study's runner.image: the Kubernetes executor runs the trial in it",
      }),
    ),
    placement: Type.Optional({
      ...placementSchema('the trial job runs'),
      description: "The study's placement: the trial's Kubernetes Job namespace and node labels",
    }),
    // The study's runner.resources, read by the dispatcher like every kind's spec.resources.
    ...resourcesProperty,
  },
  { additionalProperties: false },
);

/** Every trial job: `{ studyId, trial }`. */
export type TrialJobSpec = Static<typeof TrialJobSchema>;
export const trialJobSpec = specSchema(TrialJobSchema);
