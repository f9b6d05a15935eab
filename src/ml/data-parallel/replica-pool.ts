import type * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import {
  configureDataParallel,
  type ReplicaPool,
  type ReplicaPoolInit,
  type ReplicaResult,
  type TrainingThreads,
} from '../train/parallel';
import { ThreadAblationPool } from './ablation-pool';
import { stopWarmInferenceThreads, ThreadInferencePool } from './inference-pool';
import type { HostShard } from '../train/row-objectives';
import { KIND_STEP } from './replica-protocol';
import { MeteredThreadPool, ReplicaThreads } from './replica-threads';
import { ShardLayout } from './shard-layout';
import { schedstatThreadCpuNs } from './thread-cpu';
import { installThreadCpuClock } from '../train/thread-cpu';

/**
 * A job's training replicas stay started this long after it (threads, runtime, wasm, model, and
 * their JIT warmed up) for the next job of the same spec in this process.
 */
export const TRAINING_IDLE_MS = 30_000;
/** Warm pools kept at most (each replica holds a runtime and a model). */
const MAX_PARKED = 2;

interface PoolParts {
  threads: ReplicaThreads;
  layout: ShardLayout;
  separate: boolean;
  gradLength: number;
  stateLength: number;
}

/** Idle pools by spec (poolKey), oldest first. */
const parked = new Map<string, { parts: PoolParts; timer: ReturnType<typeof setTimeout> }>();

/**
 * What a replica is built from but the weights (which every step publishes): the topology and
 * weight layout, the trained and frozen sets, the shard layout and objective, a feature
 * penalty's source network and attention. Two jobs with the same key can share replicas.
 */
function poolKey(init: ReplicaPoolInit): string {
  const hash = createHash('sha256');
  const { weights: _w, modelJson, features, ...rest } = init;
  hash.update(JSON.stringify({ ...rest, features: features && { ...features, source: null } }));
  hash.update(modelJson);
  if (features) {
    hash.update(features.source.modelJson);
    hash.update(features.source.weights);
  }
  return hash.digest('hex');
}

function park(key: string, parts: PoolParts): void {
  const old = parked.get(key);
  if (old) {
    clearTimeout(old.timer);
    void old.parts.threads.dispose();
    parked.delete(key);
  }
  while (parked.size >= MAX_PARKED) {
    const [oldestKey, oldest] = parked.entries().next().value as [
      string,
      { parts: PoolParts; timer: ReturnType<typeof setTimeout> },
    ];
    clearTimeout(oldest.timer);
    void oldest.parts.threads.dispose();
    parked.delete(oldestKey);
  }
  parts.threads.keepAlive(false);
  const timer = setTimeout(() => {
    parked.delete(key);
    void parts.threads.dispose();
  }, TRAINING_IDLE_MS);
  timer.unref?.();
  parked.set(key, { parts, timer });
}

function unpark(key: string): PoolParts | undefined {
  const entry = parked.get(key);
  if (!entry) return undefined;
  parked.delete(key);
  clearTimeout(entry.timer);
  if (!entry.parts.threads.usable) {
    void entry.parts.threads.dispose();
    return undefined;
  }
  entry.parts.threads.keepAlive(true);
  return entry.parts;
}

/** Training pools kept warm now (tests, benches). */
export function parkedTrainingPools(): number {
  return parked.size;
}

/** Stops every warm training replica now (they also stop on their own after TRAINING_IDLE_MS). */
export async function releaseTrainingThreads(): Promise<void> {
  const all = [...parked.values()];
  parked.clear();
  await Promise.all(
    all.map(({ parts, timer }) => {
      clearTimeout(timer);
      return parts.threads.dispose();
    }),
  );
}

/**
 * Training replicas on worker threads (KIND_STEP commands of replica-threads.ts). When a job
 * ends its replicas are kept warm (TRAINING_IDLE_MS, not keeping the process alive) and the next
 * job with the same spec takes them: no thread start, and their JIT is warm. Every step
 * publishes all the weights and moving statistics, so a warm replica holds nothing of the
 * previous job.
 */
export class ThreadReplicaPool extends MeteredThreadPool implements ReplicaPool {
  private released = false;

  private constructor(
    private readonly key: string,
    private readonly parts: PoolParts,
    /** Taken warm from an earlier job: its start was paid then. */
    readonly reused: boolean,
    readonly startupMs: number,
  ) {
    super();
  }

  protected get threads(): ReplicaThreads {
    return this.parts.threads;
  }

  /** Starts `init.replicas` threads (or takes warm ones) and resolves once each holds the model. */
  static async start(init: ReplicaPoolInit): Promise<ThreadReplicaPool> {
    const t0 = performance.now();
    const key = poolKey(init);
    const warm = unpark(key);
    if (warm) return new ThreadReplicaPool(key, warm, true, performance.now() - t0);
    const { sizes } = init;
    const trainedSet = new Set(init.trainable);
    const gradLength = init.trainable.reduce((a, i) => a + sizes[i], 0);
    const stateLength = sizes.reduce((a, s, i) => (trainedSet.has(i) ? a : a + s), 0);
    const rowLength = init.sampleShape.reduce((a, d) => a * d, 1);
    const objective = init.objective ?? { kind: 'cross-entropy' };
    const maxPublic = objective.kind === 'distillation' ? (init.maxPublic ?? 0) : 0;
    const layout = new ShardLayout({
      rowLength,
      maxShard: init.maxShard,
      mixup: objective.kind === 'mixup',
      maxPublic,
      classes: objective.kind === 'distillation' ? objective.classes : 0,
    });
    const separate = init.features?.separate === true;
    const threads = await ReplicaThreads.start(
      {
        model: { modelJson: new Uint8Array(init.modelJson), weights: new Uint8Array(init.weights) },
        backend: init.backend,
        sampleShape: init.sampleShape,
        xDtype: init.xDtype,
        step: {
          trainable: init.trainable,
          frozenLayers: init.frozenLayers,
          yDtype: init.yDtype,
          maxShard: init.maxShard,
          objective,
          maxPublic,
          ...(init.features
            ? {
                features: {
                  ...init.features,
                  source: {
                    modelJson: new Uint8Array(init.features.source.modelJson),
                    weights: new Uint8Array(init.features.source.weights),
                  },
                },
              }
            : {}),
        },
      },
      init.replicas,
      sizes,
      {
        input: layout.length,
        output: gradLength * (separate ? 2 : 1) + stateLength + 3,
      },
      'training replica',
    );
    return new ThreadReplicaPool(
      key,
      { threads, layout, separate, gradLength, stateLength },
      false,
      performance.now() - t0,
    );
  }

  publish(weights: readonly tf.TypedArray[]): void {
    this.threads.publish(weights);
  }

  start(r: number, shard: HostShard): void {
    this.parts.layout.write(this.threads.input(r), shard);
    this.threads.command(r, KIND_STEP, shard.size, shard.batchRows);
  }

  wait(r: number): ReplicaResult {
    const output = this.threads.wait(r);
    const { gradLength: g, separate, stateLength: s } = this.parts;
    const f = separate ? g : 0;
    const at = g + f + s;
    return {
      grads: output.slice(0, g),
      ...(separate ? { featureGrads: output.slice(g, g + f) } : {}),
      state: output.slice(g + f, at),
      loss: output[at],
      correct: output[at + 1],
      featurePenalty: output[at + 2],
    };
  }

  override startCpuNs(): number[] {
    // A warm pool's start was counted by the job that started it.
    return this.reused ? [] : this.threads.startCpuNs();
  }

  /** Keeps the replicas warm for the next job of the same spec (stops them if one failed). */
  dispose(): Promise<void> {
    if (this.released) return Promise.resolve();
    this.released = true;
    if (!this.threads.usable) return this.threads.dispose();
    park(this.key, this.parts);
    return Promise.resolve();
  }
}

/**
 * Installs worker-thread data parallelism for this process's training jobs (the job worker does
 * it at start from AUTODL_TRAIN_THREADS; benches and tests may too). `shards`: shards per batch
 * at most (default: the machine's cores, or `threads` when it is a number); `busyElsewhere`:
 * the other training jobs on this machine right now, for `auto` (the local pool tells its
 * workers, worker.ts).
 */
export function enableThreadDataParallel(
  threads: TrainingThreads,
  options: { shards?: number; busyElsewhere?: () => number } = {},
): void {
  const cores = os.availableParallelism();
  installThreadCpuClock(schedstatThreadCpuNs);
  configureDataParallel({
    threads,
    shards: options.shards ?? (threads === 'auto' ? cores : threads),
    host: () => ({ cores, busyElsewhere: options.busyElsewhere?.() ?? 0 }),
    factory: (init) => ThreadReplicaPool.start(init),
    inference: (init) => ThreadInferencePool.start(init),
    stopWarmInference: stopWarmInferenceThreads,
    ablation: (init) => ThreadAblationPool.start(init),
  });
}
