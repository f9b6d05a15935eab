import type * as tf from '@tensorflow/tfjs';
import * as os from 'node:os';
import {
  configureDataParallel,
  type ReplicaPool,
  type ReplicaPoolInit,
  type ReplicaResult,
  type TrainingThreads,
} from '../train/parallel';
import { ThreadAblationPool } from './ablation-pool';
import { ThreadInferencePool } from './inference-pool';
import type { HostShard } from '../train/row-objectives';
import { KIND_STEP } from './replica-protocol';
import { ReplicaThreads } from './replica-threads';
import { ShardLayout } from './shard-layout';
import { schedstatThreadCpuNs } from './thread-cpu';
import { installThreadCpuClock } from '../train/thread-cpu';

/** Training replicas on worker threads (KIND_STEP commands of replica-threads.ts). */
export class ThreadReplicaPool implements ReplicaPool {
  private constructor(
    private readonly threads: ReplicaThreads,
    private readonly layout: ShardLayout,
    private readonly separate: boolean,
    private readonly gradLength: number,
    private readonly stateLength: number,
    readonly startupMs: number,
  ) {}

  get replicas(): number {
    return this.threads.replicas;
  }

  /** Starts `init.replicas` threads and resolves once each holds the model. */
  static async start(init: ReplicaPoolInit): Promise<ThreadReplicaPool> {
    const t0 = performance.now();
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
      threads,
      layout,
      separate,
      gradLength,
      stateLength,
      performance.now() - t0,
    );
  }

  publish(weights: readonly tf.TypedArray[]): void {
    this.threads.publish(weights);
  }

  start(r: number, shard: HostShard): void {
    this.layout.write(this.threads.input(r), shard);
    this.threads.command(r, KIND_STEP, shard.size, shard.batchRows);
  }

  wait(r: number): ReplicaResult {
    const output = this.threads.wait(r);
    const g = this.gradLength;
    const f = this.separate ? g : 0;
    const s = this.stateLength;
    const at = g + f + s;
    return {
      grads: output.slice(0, g),
      ...(this.separate ? { featureGrads: output.slice(g, g + f) } : {}),
      state: output.slice(g + f, at),
      loss: output[at],
      correct: output[at + 1],
      featurePenalty: output[at + 2],
    };
  }

  commandCpuNs(r: number): number {
    return this.threads.commandCpuNs(r);
  }

  commandWallNs(r: number): number {
    return this.threads.commandWallNs(r);
  }

  startCpuNs(): number[] {
    return this.threads.startCpuNs();
  }

  dispose(): Promise<void> {
    return this.threads.dispose();
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
    ablation: (init) => ThreadAblationPool.start(init),
  });
}
