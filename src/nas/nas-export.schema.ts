/**
 * The one schema of job kind `nas-export`: the body of `POST /v1/nas/:id/export` is the spec
 * without `nasJob` (the path names it); validation at enqueue fills in the defaults stored.
 */
import { Type, type Static } from '@sinclair/typebox';
import { specSchema, type SpecSchema } from '../platform/validation/spec-schema';
import { RegistryNameSchema } from '../registry/reference.schema';
import { NAS_EXPORT_DEFAULTS, type NasExportSpec } from './core/nas-export-spec';
import { NAS_JOB_DEFAULTS } from './core/nas-spec';

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const exportFields = {
  trial: Type.Union([Type.Integer({ minimum: 0 }), Type.Literal('best')], {
    default: 'best',
    description: 'A trial number of the search, or "best"',
  }),
  epochs: Type.Integer({
    minimum: 1,
    maximum: NAS_EXPORT_DEFAULTS.maxEpochs,
    default: NAS_EXPORT_DEFAULTS.epochs,
  }),
  batchSize: Type.Integer({ minimum: 1, maximum: 65536, default: NAS_JOB_DEFAULTS.batchSize }),
  learningRate: Type.Number({
    exclusiveMinimum: 0,
    exclusiveMaximum: 10,
    default: NAS_JOB_DEFAULTS.learningRate,
  }),
  seed: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, default: NAS_JOB_DEFAULTS.seed }),
  name: Type.Optional(
    RegistryNameSchema('Registered model name (default nas-<space>-t<trial>-<job id>)'),
  ),
};

export const NasExportSpecSchema = Type.Object(
  { nasJob: Type.String({ pattern: UUID, description: 'The NAS job' }), ...exportFields },
  { additionalProperties: false },
);
export const nasExportSpec: SpecSchema<NasExportSpec> = specSchema(NasExportSpecSchema);

/** `POST /v1/nas/:id/export`: which architecture, and how to retrain it. */
export const NasExportRequestSchema = Type.Object(exportFields, { additionalProperties: false });
export type NasExportRequest = Static<typeof NasExportRequestSchema>;
export const nasExportRequest = specSchema(NasExportRequestSchema);
