/**
 * The warm-up model of Zhao, Li, Lai, Suda, Civin & Chandra ("Federated Learning with Non-IID
 * Data", arXiv 1806.00582, sec. 4): before round 1 the coordinator trains the initial global
 * model on the globally shared labelled set G, and that model starts the federation. The sites
 * then begin from weights that already separate the classes instead of from a random point each
 * of them pulls towards its own label mix.
 *
 * It would run where the shared set already is (the coordinator holds it to check and meter it),
 * on the shared set alone: no site's data is read and nothing new crosses a site boundary (the
 * warm-up model goes down as round 1's global weights, which go down anyway). Bench-only
 * (collab-bench.ts `:w<W>`): on fresh seeds it gave nothing over the same federation without it
 * (docs/collab.md, "Session 16"), so no spec field runs it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { LocalPlan } from './core/federated-algorithm';
import type { WeightSet } from './core/weights';
import type { OptimizerName } from '../ml/train/optimizers';
import type { TrainSet } from '../ml/train/trainer';
import { readWeights, trainLocally, writeWeights } from './site-training';

/**
 * The warm-up's plan: round 1's optimiser settings (peak learning rate, its schedule, mixup) over
 * `epochs` epochs, as one cycle. Every layer trains, the head too, even under freezeHead: the
 * warm-up is the initialisation, and with FedBABU its trained head is the one the sites keep.
 * Nothing that needs peers or a previous global (distillation, FedProx, SCAFFOLD) applies.
 */
export function warmupPlan(firstRound: LocalPlan, epochs: number): LocalPlan {
  return {
    epochs,
    learningRate: firstRound.learningRate,
    schedule: firstRound.schedule,
    mixupAlpha: firstRound.mixupAlpha,
    distillation: null,
    startFromGlobal: true,
  };
}

/**
 * The warm-up's seed: apart from every round's site seeds (federation-run.ts derives those as
 * seed + 1_000_003 round + 7919 attempt + 104_729 site), so it replays exactly on a resume.
 */
export function warmupSeed(seed: number): number {
  return (seed + 15_485_863) >>> 0;
}

export interface SharedWarmupInput {
  /** A model of the federation's architecture (the coordinator's working model); overwritten. */
  model: tf.LayersModel;
  /** The shared labelled set's tensors. */
  shared: TrainSet;
  /** The federation's initial global weights (the seeded initialisation). */
  initial: WeightSet;
  /** Round 1's local plan (algorithm.localPlan(0)). */
  firstRound: LocalPlan;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  /** The federation's seed. */
  seed: number;
  shouldStop?: () => boolean;
}

/** The initial global weights after `epochs` epochs on the shared set (0: `initial` as is). */
export async function sharedWarmup(i: SharedWarmupInput): Promise<Float32Array[]> {
  if (!(Number.isInteger(i.epochs) && i.epochs >= 0))
    throw new Error(`warm-up epochs must be a non-negative integer, got ${i.epochs}`);
  if (i.epochs === 0) return i.initial.map((w) => Float32Array.from(w));
  writeWeights(i.model, i.initial);
  await trainLocally({
    model: i.model,
    train: i.shared,
    plan: warmupPlan(i.firstRound, i.epochs),
    batchSize: i.batchSize,
    optimizer: i.optimizer,
    seed: warmupSeed(i.seed),
    shouldStop: i.shouldStop,
  });
  return readWeights(i.model);
}
