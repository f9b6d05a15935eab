import type * as tf from '@tensorflow/tfjs';
import * as os from 'node:os';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import {
  configureDataParallel,
  type ReplicaPool,
  type ReplicaPoolInit,
  type ReplicaResult,
  type TrainingThreads,
} from '../train/parallel';
import { ThreadInferencePool } from './inference-pool';
import { startThread } from './thread';
import {
  CTRL,
  CTRL_LENGTH,
  KIND_STEP,
  KIND_STOP,
  type ReplicaStartMessage,
  type ReplicaWorkerData,
} from './replica-protocol';

/** A shard that takes longer than this means the replica is gone (a crash Atomics cannot see). */
const SHARD_TIMEOUT_MS = 10 * 60_000;

interface Replica {
  worker: Worker;
  ctrl: Int32Array;
  input: Float32Array;
  output: Float32Array;
  errors: MessagePort;
}

/** Training replicas on worker threads, talking to the main thread through shared memory. */
export class ThreadReplicaPool implements ReplicaPool {
  private constructor(
    private readonly members: Replica[],
    private readonly published: Float32Array,
    private readonly init: ReplicaPoolInit,
    private readonly gradLength: number,
    private readonly stateLength: number,
    readonly startupMs: number,
  ) {}

  get replicas(): number {
    return this.members.length;
  }

  /** Starts `init.replicas` threads and resolves once each holds the model. */
  static async start(init: ReplicaPoolInit): Promise<ThreadReplicaPool> {
    const t0 = performance.now();
    const { sizes } = init;
    const total = sizes.reduce((a, s) => a + s, 0);
    const trainedSet = new Set(init.trainable);
    const gradLength = init.trainable.reduce((a, i) => a + sizes[i], 0);
    const stateLength = sizes.reduce((a, s, i) => (trainedSet.has(i) ? a : a + s), 0);
    const rowLength = init.sampleShape.reduce((a, d) => a * d, 1);
    const published = new SharedArrayBuffer(4 * total);
    const { modelJson, weights, replicas, ...rest } = init;
    const members: Replica[] = [];
    const ready: Promise<void>[] = [];
    for (let r = 0; r < replicas; r++) {
      const channel = new MessageChannel();
      const data: ReplicaWorkerData = {
        init: rest,
        modelJson: new Uint8Array(modelJson),
        weights: new Uint8Array(weights),
        ctrl: new SharedArrayBuffer(4 * CTRL_LENGTH),
        published,
        input: new SharedArrayBuffer(4 * init.maxShard * (rowLength + 1)),
        output: new SharedArrayBuffer(4 * (gradLength + stateLength + 2)),
        errors: channel.port2,
      };
      const worker = startThread('replica-worker', { ...data });
      members.push({
        worker,
        ctrl: new Int32Array(data.ctrl),
        input: new Float32Array(data.input),
        output: new Float32Array(data.output),
        errors: channel.port1,
      });
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.once('message', (m: ReplicaStartMessage) =>
            m.type === 'ready'
              ? resolve()
              : reject(new Error(`training replica ${r} failed to start: ${m.message}`)),
          );
          worker.once('error', reject);
          worker.once('exit', (code) =>
            reject(new Error(`training replica ${r} exited with ${code} while starting`)),
          );
        }),
      );
    }
    const pool = new ThreadReplicaPool(
      members,
      new Float32Array(published),
      init,
      gradLength,
      stateLength,
      0,
    );
    try {
      await Promise.all(ready);
    } catch (err) {
      await pool.dispose();
      throw err;
    }
    return Object.assign(pool, { startupMs: performance.now() - t0 });
  }

  publish(weights: readonly tf.TypedArray[]): void {
    let offset = 0;
    for (const w of weights) {
      this.published.set(w, offset);
      offset += w.length;
    }
  }

  start(r: number, x: tf.TypedArray, y: tf.TypedArray, size: number): void {
    const m = this.members[r];
    if (size > this.init.maxShard) {
      throw new RangeError(`shard of ${size} rows, the pool holds ${this.init.maxShard}`);
    }
    m.input.set(x, 0);
    m.input.set(y, m.input.length - this.init.maxShard);
    Atomics.store(m.ctrl, CTRL.SIZE, size);
    Atomics.store(m.ctrl, CTRL.KIND, KIND_STEP);
    Atomics.add(m.ctrl, CTRL.COMMAND, 1);
    Atomics.notify(m.ctrl, CTRL.COMMAND);
  }

  wait(r: number): ReplicaResult {
    const m = this.members[r];
    const expected = Atomics.load(m.ctrl, CTRL.COMMAND);
    const deadline = performance.now() + SHARD_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(m.ctrl, CTRL.DONE);
      if (done === expected) break;
      if (performance.now() > deadline) {
        throw new Error(`training replica ${r} did not answer within ${SHARD_TIMEOUT_MS} ms`);
      }
      Atomics.wait(m.ctrl, CTRL.DONE, done, 1000);
    }
    if (Atomics.load(m.ctrl, CTRL.STATUS) !== 0) {
      const message = receiveMessageOnPort(m.errors)?.message as string | undefined;
      throw new Error(`training replica ${r} failed: ${message ?? 'no message'}`);
    }
    const g = this.gradLength;
    const s = this.stateLength;
    return {
      grads: m.output.slice(0, g),
      state: m.output.slice(g, g + s),
      loss: m.output[g + s],
      correct: m.output[g + s + 1],
    };
  }

  async dispose(): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        Atomics.store(m.ctrl, CTRL.KIND, KIND_STOP);
        Atomics.add(m.ctrl, CTRL.COMMAND, 1);
        Atomics.notify(m.ctrl, CTRL.COMMAND);
        m.errors.close();
        await m.worker.terminate();
      }),
    );
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
  configureDataParallel({
    threads,
    shards: options.shards ?? (threads === 'auto' ? cores : threads),
    host: () => ({ cores, busyElsewhere: options.busyElsewhere?.() ?? 0 }),
    factory: (init) => ThreadReplicaPool.start(init),
    inference: (init) => ThreadInferencePool.start(init),
  });
}
