/**
 * The specs of the `pretrain` and `finetune` job kinds as stored (normalised at enqueue by their
 * schemas, src/transfer/pretrain.schema.ts and finetune.schema.ts) and run.
 */
import type { JobResources } from '../../platform/validation/job-resources';
import type { ImageAugmentationSpec } from '../../ml/data';
import type { FinetuneConfig } from './finetune-config';

/** Named defaults of the pretrain job (small enough to finish on a laptop core in minutes). */
export const PRETRAIN_DEFAULTS = {
  epochs: 5,
  batchSize: 32,
  learningRate: 0.001,
  optimizer: 'adam' as const,
  seed: 0,
  earlyStoppingPatience: 0,
  /** Text models: vocabulary size cap and padded sequence length. */
  maxWords: 10_000,
  sequenceLength: 64,
};

export interface PretrainSpec {
  /** Kubernetes resources of the job (platform/validation/job-resources.ts). */
  resources?: JobResources;
  /** Data set id (a name given at enqueue is resolved to it). */
  dataset: string;
  architecture: string;
  /** Registered model name; null = `<architecture>-<job id prefix>`. */
  name: string | null;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: 'sgd' | 'momentum' | 'adam';
  seed: number;
  earlyStoppingPatience: number;
  /** Zoo builder options (see src/ml/zoo/zoo-options.ts). */
  width: number | null;
  hidden: number[] | null;
  embeddingDim: number | null;
  lstmUnits: number | null;
  maxWords: number;
  sequenceLength: number;
}

export interface FinetuneSpec {
  baseModel: string;
  dataset: string;
  name: string | null;
  config: FinetuneConfig;
  /** Image augmentation applied to extra copies of the training images. */
  augment: ImageAugmentationSpec[];
  /** Training-set copies made with `augment` (1 = originals only). */
  augmentCopies: number;
  /** Store per-sample, per-epoch training records as the artifact dynamics.json. */
  recordDynamics: boolean;
}
