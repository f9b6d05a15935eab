/**
 * The spec of job kind `nas-export` (what `POST /v1/nas/:id/export` queues) as stored, normalised
 * at enqueue by its schema (src/nas/nas-export.schema.ts):
 * { nasJob, trial: number | 'best', epochs?, batchSize?, learningRate?, seed?, name? }.
 */

export const NAS_EXPORT_DEFAULTS = { epochs: 5, maxEpochs: 1000, textMaxWords: 10_000 };

export interface NasExportSpec {
  nasJob: string;
  trial: number | 'best';
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  name?: string;
}
