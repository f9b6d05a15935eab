import type { PenaltyName } from './method';

/**
 * A fine-tuning configuration as a job stores it: every field resolved (the schema in
 * src/transfer/finetune.schema.ts fills in TRANSFER_DEFAULTS, and alpha/beta from
 * PENALTY_DEFAULTS of the chosen penalty, at enqueue), `method` in its canonical form.
 */
export interface FinetuneConfig {
  /** Canonical method name (`auto` resolved), parsed into its plan by `parseMethod`. */
  method: string;
  /** Strength of the transfer term (weight decay for l2, ||w - w0|| for l2sp, feature maps for delta). */
  alpha: number;
  /** Weight decay on the new head (l2sp, delta). */
  beta: number;
  /** DELTA's softmax temperature over the channel z-scores. */
  temperature: number;
  /**
   * DELTA: names of the hooked layers (Dense/Conv2D); empty = the last Conv2D/Dense of each stage
   * of the backbone, including the last one before the head (`defaultHookLayers`).
   */
  hookLayers: string[];
  /** DELTA: training batches averaged when scoring channels. */
  attentionBatches: number;
  /** DELTA: epochs of head-only training before scoring channels. */
  headEpochs: number;
  /**
   * RIFLE: K re-initialisations over the first `fraction` of training; `headLr` 'cyclic' restarts
   * a cosine decay of the head's learning rate at each re-initialisation (the authors' code,
   * fc_lr_util=cyclic), 'global' keeps the head on the run's schedule.
   */
  rifle: { periods: number; fraction: number; headLr: 'global' | 'cyclic' };
  /** `none`, `all-but-head`, or K: the first K layers of the base model do not train. */
  freeze: 'none' | 'all-but-head' | number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: 'sgd' | 'momentum' | 'adam';
  lrSchedule: 'constant' | 'cosine' | 'step';
  /** step schedule: multiply the rate by `lrGamma` every `lrStepEpochs` epochs. */
  lrStepEpochs: number;
  lrGamma: number;
  /** Stop after this many epochs without a better validation loss; 0 = off. */
  earlyStoppingPatience: number;
  seed: number;
}

/**
 * Default alpha/beta per penalty: the values of the papers' reference code, on the papers' scale
 * (L2-SP: alpha/2 ||w - w0||^2 as Li et al. 2018 eq. 3; DELTA: the authors' regulariser with
 * c * softmax attention, a 0.5 factor and a sum over the batch; see docs/transfer.md).
 */
export const PENALTY_DEFAULTS: Record<PenaltyName, { alpha: number; beta: number }> = {
  l2: { alpha: 1e-4, beta: 0 },
  l2sp: { alpha: 0.1, beta: 0.01 },
  delta: { alpha: 0.01, beta: 0.01 },
};

export const TRANSFER_DEFAULTS = {
  method: 'auto',
  temperature: 5,
  attentionBatches: 4,
  headEpochs: 5,
  // RIFLE (Li et al. 2020): re-initialise the head at 25/50/75% of training (K = 3 over 3/4).
  rifle: { periods: 3, fraction: 3 / 4, headLr: 'cyclic' as const },
  freeze: 'none' as FinetuneConfig['freeze'],
  epochs: 10,
  batchSize: 32,
  learningRate: 0.01,
  optimizer: 'momentum' as FinetuneConfig['optimizer'],
  lrSchedule: 'cosine' as FinetuneConfig['lrSchedule'],
  lrStepEpochs: 5,
  lrGamma: 0.1,
  earlyStoppingPatience: 0,
  seed: 0,
} as const;
