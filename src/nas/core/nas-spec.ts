/**
 * The spec of job kind `nas` (what `POST /v1/nas` queues) as stored, normalised at enqueue by its
 * schema (src/nas/nas.schema.ts); named defaults in NAS_JOB_DEFAULTS:
 *   { dataset, space: name | {type, ...config}, strategy: name | {name, settings},
 *     objective?: {kind: accuracy | multi | scalarised ...}, constraints?: [{metric, max}],
 *     pruner?: {name, settings}, budget: {trials, epochsPerTrial, batchSize?, learningRate?,
 *     timeoutMs?, parallelism?}, validationFraction?, sequenceLength?, seed? }
 */
import type { NasConstraint, NasObjective } from './objectives';

export const NAS_STRATEGIES = ['random', 'tpe', 'regularized-evolution'] as const;

export const NAS_JOB_DEFAULTS = {
  strategy: 'regularized-evolution',
  batchSize: 32,
  learningRate: 1e-3,
  validationFraction: 0.2,
  sequenceLength: 64,
  /** Of `nas-export` only: a search without a seed gets a random one (recorded on its study). */
  seed: 0,
  maxTrials: 10_000,
  maxEpochs: 1_000,
  parallelism: 1,
  maxParallelism: 32,
};

export interface NasJobSpec {
  dataset: string;
  space: unknown;
  strategy: { name: string; settings: Record<string, unknown> };
  objective: NasObjective;
  constraints: NasConstraint[];
  pruner?: { name: string; settings: Record<string, unknown> };
  budget: {
    trials: number;
    epochsPerTrial: number;
    batchSize: number;
    learningRate: number;
    timeoutMs?: number;
    /** Trial jobs in flight at once. */
    parallelism: number;
  };
  validationFraction: number;
  sequenceLength: number;
  /** Unset: the driver draws one at random and records it on the study (src/nas/nas-studies.ts). */
  seed?: number;
}
