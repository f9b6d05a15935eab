import type { NewModel, TrainableModel } from '../registry/model-registry.port';
import type { FinetuneSpec } from './core/training-specs';
import type { FinetuneEpochMetrics, FinetuneResult } from './finetune';

/**
 * What a `finetune` job registers: the base model's input contract (its preprocessing and
 * vocabulary, which the backbone was trained on), the target's classes, lineage to the base
 * model and the data set, and what the method did (DELTA's attention, RIFLE's schedule).
 */
export function finetuneEntry(
  spec: FinetuneSpec,
  jobId: string,
  base: Pick<TrainableModel, 'record' | 'vocabulary'>,
  classNames: readonly string[],
  result: FinetuneResult,
  history: readonly FinetuneEpochMetrics[],
): Omit<NewModel, 'evaluation'> {
  const b = base.record;
  const method = spec.config.method;
  return {
    name: spec.name ?? `${b.name}-${method.replace(/\+/g, '-')}-${jobId.slice(0, 8)}`,
    architecture: b.architecture,
    inputKind: b.inputKind,
    classNames: [...classNames],
    featureNames: b.featureNames,
    preprocessing: b.preprocessing,
    vocabulary: base.vocabulary,
    baseModelId: b.id,
    datasetId: spec.dataset,
    method,
    metrics: {
      history,
      stoppedBy: result.stoppedBy,
      bestEpoch: result.bestEpoch ?? null,
      hookLayers: result.hookLayers ?? null,
      attention: result.attention ?? null,
      rifleSchedule: result.rifleSchedule ?? null,
      // Shards per batch fix the result; threads only the speed (docs/ml.md).
      threads: result.threads,
      shards: result.shards,
    },
  };
}
