import type * as tf from '@tensorflow/tfjs';
import type { HostShard, RowObjective } from './row-objectives';

/**
 * The port of data-parallel training. The training loop (trainer.ts, data-parallel-step.ts) only
 * knows this interface; the worker-thread implementation (src/ml/data-parallel/) is installed by
 * the worker process with `configureDataParallel`, so that pure cores that train a model (NAS
 * candidates, pruning) never reach `worker_threads` themselves. Nothing installed: one thread.
 */

/** What every replica needs to hold a copy of the model and train on its shards. */
export interface ReplicaPoolInit {
  /** Worker replicas to start (the main thread is one more). */
  replicas: number;
  /** The model as model.json + weights.bin (tf.io layers format). */
  modelJson: Buffer;
  weights: Buffer;
  /** Element counts of model.weights, in order. */
  sizes: readonly number[];
  /** Indices into model.weights of the trained variables, in the optimizer's order. */
  trainable: readonly number[];
  /** Layers the trainer froze (layer.trainable = false on every replica). */
  frozenLayers: readonly string[];
  /** The main thread's TF.js backend; replicas select the same. */
  backend: string;
  /** One example's shape (x is [n, ...sampleShape]) and dtypes. */
  sampleShape: readonly number[];
  xDtype: tf.DataType;
  yDtype: tf.DataType;
  /** The largest shard a replica is given (rows). */
  maxShard: number;
  /**
   * A feature penalty computed per shard (DELTA, shard-gradients.ts), with its frozen source
   * network as model.json + weights.bin: shipped once, when the replicas start.
   */
  features?: {
    source: { modelJson: Buffer; weights: Buffer };
    hookLayers: readonly string[];
    attention: readonly (readonly number[])[];
    alpha: number;
    /** DTNH: the penalty's gradient apart from the task's (ReplicaResult.featureGrads). */
    separate?: boolean;
  };
  /** The loss the shards compute (default: cross-entropy): mixup or distillation. */
  objective?: RowObjective;
  /** Distillation: the most public rows a shard is given. */
  maxPublic?: number;
}

/** One replica's answer for its shard: the gradients of the shard's mean loss. */
export interface ReplicaResult {
  /** The trained variables' gradients, concatenated in `trainable` order. */
  grads: Float32Array;
  /** With `features.separate`: the feature penalty's gradients apart (same order). */
  featureGrads?: Float32Array;
  /** model.weights that are not trained (batch-norm moving statistics) after the shard's pass. */
  state: Float32Array;
  /** The shard's mean loss (shard-gradients.ts: ShardGradients.loss). */
  loss: number;
  /** Correctly classified examples of the shard (NaN: not reported, mixup). */
  correct: number;
  /** The feature penalty summed over the shard's rows (0 without one). */
  featurePenalty: number;
}

export interface ReplicaPool {
  /** Worker replicas (the main thread computes one more shard itself). */
  readonly replicas: number;
  /** Wall time from asking for the pool until every replica held the model (ms). */
  readonly startupMs: number;
  /** The model's weights (model.weights order) every replica loads before its next shard. */
  publish(weights: readonly tf.TypedArray[]): void;
  /** Starts replica r on a shard (rows, labels, and what the objective ships). Does not block. */
  start(r: number, shard: HostShard): void;
  /** Blocks until replica r answered its shard; throws the replica's error. */
  wait(r: number): ReplicaResult;
  /** Replica r's CPU on its last answered shard, ns (NaN or absent: not measured). */
  commandCpuNs?(r: number): number;
  /** Replica r's wall time on its last answered shard, ns (absent: not measured). */
  commandWallNs?(r: number): number;
  /** Each replica's CPU to start, ns (NaN or absent: not measured). */
  startCpuNs?(): number[];
  dispose(): Promise<void>;
}

export type ReplicaPoolFactory = (init: ReplicaPoolInit) => Promise<ReplicaPool>;

/** What every replica that runs a published model needs (inference and ablation replicas). */
export interface PublishedModelInit {
  replicas: number;
  /** The model's topology (model.toJSON): the weights come through `publish`. */
  topology: string;
  /** Element counts of model.weights, in order. */
  sizes: readonly number[];
  backend: string;
  sampleShape: readonly number[];
  xDtype: tf.DataType;
}

/** What every inference replica needs: the model, and the largest chunk of rows it is given. */
export interface InferencePoolInit extends PublishedModelInit {
  /** Outputs per row (the model's single output is [n, outputLength]). */
  outputLength: number;
  /** Rows per model.predict pass (inferenceBatchSize). */
  pass: number;
  /** The largest chunk a replica is given (rows). */
  maxRows: number;
  /**
   * Layers whose input moments the replicas can predict instead of the model's output
   * (momentsProbe, moments-probe.ts: batch-norm re-estimation); `outputLength` is then the
   * largest output of the model and the probes.
   */
  probes?: readonly string[];
}

/** Inference replicas (bulk prediction: LIME/NormLIME perturbations, evaluation). */
export interface InferencePool {
  readonly replicas: number;
  readonly maxRows: number;
  /**
   * The model's weights (model.weights order): every replica loads them before its next chunk and
   * keeps them for the chunks after (the caller publishes only when they changed).
   */
  publish(weights: readonly tf.TypedArray[]): void;
  /**
   * Starts replica r on `rows` rows (flattened): the model's outputs, or with `probe` the moments
   * probe of init.probes[probe.index] (probe.outputLength values per row). Does not block.
   */
  start(
    r: number,
    x: tf.TypedArray,
    rows: number,
    probe?: { index: number; outputLength: number },
  ): void;
  /** Blocks until replica r answered: rows x (probe's) outputLength outputs. Throws the replica's error. */
  wait(r: number): Float32Array;
  /** Replica r's CPU on its last answered chunk, ns (NaN or absent: not measured). */
  commandCpuNs?(r: number): number;
  /** Replica r's wall time on its last answered chunk, ns (absent: not measured). */
  commandWallNs?(r: number): number;
  /** Each replica's CPU to start, ns (NaN or absent: not measured). */
  startCpuNs?(): number[];
  /**
   * Whether every replica holds the model yet (absent: from the start). A pool starts without
   * blocking; until it is ready the caller predicts on its own thread. Throws when a replica
   * failed to start.
   */
  ready?(): boolean;
  /** Blocks until ready (tests, benches). */
  waitReady?(): void;
  /** Its start blocked the caller until ready (absent: when `ready` is absent too). */
  readonly waited?: boolean;
  /** Releases the replicas but keeps their threads warm for the next pool (absent: dispose). */
  park?(): void;
  dispose(): void;
}

/**
 * Starts inference replicas (synchronously, without waiting for them to hold the model: the
 * caller, predictBatches, predicts on its own thread until `ready`, then keeps the pool for the
 * model's next calls).
 */
export type InferencePoolFactory = (init: InferencePoolInit) => InferencePool;

/**
 * What every channel-ablation replica needs (DELTA's channel scoring, parallel-ablation.ts): the
 * model, its hooked layers and the scoring batches' sizes.
 */
export interface AblationPoolInit extends PublishedModelInit {
  yDtype: tf.DataType;
  /** The hooked layers whose channels are removed (channel-ablation.ts). */
  hookLayers: readonly string[];
  /** Rows of each scoring batch, in order. */
  batchRows: readonly number[];
  /** The most units a replica is given. */
  maxUnits: number;
}

/**
 * Channel-ablation replicas: each computes the cross-entropy of every scoring batch with each
 * unit of its range removed (ablationLosses, channel-ablation.ts).
 */
export interface AblationPool {
  readonly replicas: number;
  /** The model's weights (model.weights order), loaded before the next command. */
  publish(weights: readonly tf.TypedArray[]): void;
  /** The scoring batches (rows then labels, batches in order), for every later command. */
  setBatches(xs: readonly tf.TypedArray[], ys: readonly tf.TypedArray[]): void;
  /** Starts replica r on units [from, from + count). Does not block. */
  start(r: number, from: number, count: number): void;
  /** Blocks until replica r answered: count x batches losses (ablationLosses' layout). */
  wait(r: number): Float32Array;
  commandCpuNs?(r: number): number;
  commandWallNs?(r: number): number;
  startCpuNs?(): number[];
  dispose(): Promise<void>;
}

export type AblationPoolFactory = (init: AblationPoolInit) => Promise<AblationPool>;

/** Threads per training job: a number, or `auto` (the cores free when the job starts). */
export type TrainingThreads = 'auto' | number;

export interface HostShare {
  /** Logical cores of the machine (or of the job's share: a pod's cpu request). */
  cores: number;
  /** Other training jobs running on this machine now (the local pool's busy compute workers). */
  busyElsewhere: number;
}

interface DataParallelSetup {
  threads: TrainingThreads;
  /**
   * Shards per batch at most (the install's core count, or its fixed thread count): a property
   * of the configuration, never of the load, so that a seeded job's result is the same whatever
   * number of threads computes the shards.
   */
  shards: number;
  factory: ReplicaPoolFactory;
  /** Inference replicas for bulk prediction (predictBatches); absent: one thread. */
  inference?: InferencePoolFactory;
  /** Stops the inference threads kept warm between pools (releaseInferenceThreads). */
  stopWarmInference?: () => void;
  /** Channel-ablation replicas (DELTA's channel scoring); absent: one thread. */
  ablation?: AblationPoolFactory;
  host: () => HostShare;
}

let setup: DataParallelSetup | undefined;

/** Installs the replica implementation and the process's thread setting (the worker does it). */
export function configureDataParallel(next: DataParallelSetup | undefined): void {
  setup = next;
}

export function dataParallelSetup(): DataParallelSetup | undefined {
  return setup;
}

/**
 * Shards smaller than this cost more in per-step overhead than they save, and batch norm over
 * fewer rows gets noisy. Measured side by side (docs/benchmarks.md, issue 20): computed in
 * sequence on one thread (no free core), 12-13-row shards cost 12-17% more CPU per sample and gain
 * only 1.18-1.21x on 2 free cores; 16-row shards (batch 32, every job kind's default) cost 12-16%
 * and gain 1.22-1.34x; 32-row shards cost 3-6% and gain 1.56-1.60x. 16 keeps the default batch on
 * two threads and drops the band where the one-thread cost is about the two-thread gain.
 */
export const MIN_SHARD = 16;

/**
 * Shards a batch of `batchSize` rows is split into: at most `maxShards`, none smaller than
 * MIN_SHARD rows (1 = no sharding). A function of the configuration and the batch only.
 */
export function resolveShards(maxShards: number, batchSize: number): number {
  return Math.max(1, Math.min(Math.floor(maxShards), Math.floor(batchSize / MIN_SHARD)));
}

/**
 * Threads (replicas, main thread included) that compute a job's `shards` shards. A number is
 * taken as given; `auto` is the cores free when the job starts: the machine's cores minus the
 * other training jobs running on it (a lone job on a 2-core machine gets 2 threads, two jobs one
 * each). Never more threads than shards. The thread count changes speed only: the shards, their
 * order and the order of every sum are fixed by the configuration (sharded-step.ts).
 */
export function resolveThreads(threads: TrainingThreads, host: HostShare, shards: number): number {
  const wanted =
    threads === 'auto'
      ? Math.max(1, Math.floor(host.cores) - Math.max(0, host.busyElsewhere))
      : Math.max(1, Math.floor(threads));
  return Math.max(1, Math.min(wanted, shards));
}

/** Splits a batch into `parts` contiguous shards whose sizes differ by at most one. */
export function splitBatch(batch: readonly number[], parts: number): number[][] {
  const shards: number[][] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const size = Math.floor(batch.length / parts) + (p < batch.length % parts ? 1 : 0);
    shards.push(batch.slice(start, start + size));
    start += size;
  }
  return shards;
}
