/**
 * The federated-algorithm family: per round, what each site trains with (local schedule, extra
 * losses) and what it shares; how the coordinator combines what the sites shared. One file per
 * algorithm (fedavg.ts, esp-clr.ts, mcl.ts, codistill.ts); algorithms.ts maps API names to them.
 *
 * What crosses a site boundary is exactly `SiteShare`: weights of the declared shapes, or logits
 * on the shared public unlabeled set. No type here can carry a training sample.
 */
import type { ScaffoldServer } from './scaffold';
import type { WeightSet } from './weights';

export type AlgorithmName = 'fedavg' | 'esp-clr' | 'mcl' | 'codistill';
export const ALGORITHM_NAMES: readonly AlgorithmName[] = ['fedavg', 'esp-clr', 'mcl', 'codistill'];

/** What a site's update consists of. */
export type SharedState = 'weights' | 'predictions';

/** Learning rate over one round's local training (steps counted within the round). */
export type LocalLrSchedule =
  | { kind: 'constant' }
  /**
   * SGDR cosine from `learningRate` down to `minLr` over the round, restarted each round; with
   * `warmupEpochs`, a linear rise to `learningRate` over the round's first epochs before it.
   */
  | {
      kind: 'cosine';
      minLr: number;
      warmupEpochs?: number;
      /** The round as one stretch of a cosine over all rounds (schedules.ts CosineSpan). */
      span?: { offsetEpochs: number; totalEpochs: number };
    };

/** What every site does in one round. */
export interface LocalPlan {
  /** Local epochs over the site's own data before it shares (the synchronisation period). */
  epochs: number;
  /** Peak learning rate of the round. */
  learningRate: number;
  schedule: LocalLrSchedule;
  /** mixup's Beta(alpha, alpha) (Zhang et al. 2018), null: plain examples. */
  mixupAlpha: number | null;
  /** Distillation towards the peers' soft labels on the public set, null: none. */
  distillation: { temperature: number; weight: number } | null;
  /** True when the site starts the round from the coordinator's global weights. */
  startFromGlobal: boolean;
  /**
   * FedProx's mu (fedprox.ts): the site minimises F_k(w) + (mu / 2) ||w - w_global||^2.
   * Absent or 0: the plain local loss. Needs `startFromGlobal`.
   */
  proximalMu?: number;
  /**
   * SCAFFOLD (scaffold.ts): the site corrects every local gradient by c - c_i (c received with
   * the global weights, c_i its own) and shares c_i+ - c_i beside its weights. Needs
   * `startFromGlobal`.
   */
  scaffold?: boolean;
  /**
   * FedBABU (Oh, Kim & Yun, ICLR 2022): the site trains only the body; the head (the model's last
   * layer with weights) stays at the global weights it received, so every site shares the same
   * head and its average is that head. Absent or false: every layer trains.
   */
  freezeHead?: boolean;
  /**
   * SAM's rho (Foret et al., ICLR 2021; FedSAM, Caldarola et al., ECCV 2022): every local step
   * takes its gradient at the worst point within rho of the weights. Absent or 0: plain steps.
   */
  samRho?: number;
  /**
   * FedNTD's beta (Lee et al., NeurIPS 2022; src/ml/train/not-true-distillation.ts): the local
   * loss adds beta * KL of the not-true classes' softmax of the global model's predictions to
   * the local ones. Absent or 0: none. Needs `startFromGlobal`.
   */
  notTrueBeta?: number;
  /**
   * Logit adjustment's tau (Menon et al., ICLR 2021; src/ml/train/logit-adjustment.ts): the site
   * trains with its own label prior added to the logits, so its model fits the class-balanced
   * posterior. Absent or 0: plain cross-entropy.
   */
  logitAdjustment?: number;
  /**
   * FedDecorr's beta (Shi et al., ICLR 2023; src/ml/train/feature-decorrelation.ts): the local
   * loss adds beta times the squared correlations of the batch's penultimate features, against
   * their collapse onto the few directions a label-skewed site needs. Absent or 0: none.
   */
  decorrelationBeta?: number;
  /**
   * MOON (Li, He & Song, CVPR 2021; src/ml/train/model-contrastive.ts): the local loss adds mu
   * times a contrastive term pulling each row's penultimate features towards the global model's
   * and away from the site's previous local model's (a model that stays at the site). Absent:
   * none.
   */
  modelContrastive?: { mu: number; temperature: number };
}

/** One site's contribution to a round (after local training). */
export interface SiteShare {
  site: string;
  /** Training examples behind the update (FedAvg's weight n_k). A count, never the examples. */
  samples: number;
  /**
   * Optimizer steps the site took in the round (a count; FedNova's tau_i, fednova.ts). Absent:
   * taken as proportional to `samples`, which holds when every site runs the same epochs and batch.
   */
  localSteps?: number;
  /** `weights` algorithms: the site's weights after its local epochs. */
  weights?: WeightSet;
  /** SCAFFOLD: the site's control variate change c_i+ - c_i (same shapes as the weights). */
  controlDelta?: WeightSet;
  /** `predictions` algorithms: logits on the public set, row-major [publicSize, numClasses]. */
  logits?: Float32Array;
  /**
   * `predictions` algorithms: the site's reported accuracy on its own test split (a number it
   * reports every round anyway); codistill weighs the site's teacher vote by it.
   */
  accuracy?: number;
}

/** What the coordinator hands back to the sites after a round. */
export type RoundAggregate =
  | { kind: 'weights'; weights: Float32Array[] }
  /** Per site: the teacher's class probabilities (at temperature T) on the public set. */
  | {
      kind: 'predictions';
      teachers: ReadonlyMap<string, Float32Array>;
      /** Per site: a factor (0-1] on the distillation weight of its next round (absent: 1). */
      scales?: ReadonlyMap<string, number>;
    };

export interface FederatedAlgorithm {
  readonly name: AlgorithmName;
  readonly shares: SharedState;
  /** Rounds needed for `totalEpochs` local epochs per site. */
  rounds(totalEpochs: number): number;
  /** The local plan of round `round` (0-based). */
  localPlan(round: number): LocalPlan;
  /**
   * Combines the accepted shares of a round (robust screening happens before). `global`: the
   * weights the sites started the round from (weights algorithms), for server-side optimisers.
   */
  aggregate(shares: readonly SiteShare[], global?: WeightSet): RoundAggregate;
  /** SCAFFOLD's server control variate when the federation runs with it (fedavg, esp-clr). */
  readonly scaffold?: ScaffoldServer | null;
}
