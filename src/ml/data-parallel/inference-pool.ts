import type * as tf from '@tensorflow/tfjs';
import * as os from 'node:os';
import type { InferencePool, InferencePoolInit } from '../train/parallel';
import { KIND_PREDICT } from './replica-protocol';
import { MeteredThreadPool, ReplicaThreads, stopParkedReplicaThreads } from './replica-threads';

/**
 * Warm threads kept parked between jobs at most: the replicas the machine's cores allow beside
 * the main thread (what `auto` gives a job on an idle machine).
 */
export const MAX_PARKED = Math.max(1, os.availableParallelism() - 1);

/**
 * Inference replicas on worker threads (KIND_PREDICT commands of replica-threads.ts), driven
 * synchronously (the caller, predictBatches, is synchronous). They start without blocking, from
 * parked warm threads when there are (a job within PARK_MS of the last one builds the model only),
 * and park again when the pool is released for idleness.
 */
export class ThreadInferencePool extends MeteredThreadPool implements InferencePool {
  /** Output values of each replica's current chunk. */
  private readonly values: number[] = [];

  private constructor(
    protected readonly threads: ReplicaThreads,
    readonly maxRows: number,
    private readonly outputLength: number,
  ) {
    super();
  }

  /**
   * Starts the replicas: from parked warm threads it blocks until they hold the model (they
   * build it only, a few ms); cold threads (~0.7 s: thread, TS loader, TF.js, wasm) start
   * without blocking and ready() says when they hold it.
   */
  static start(init: InferencePoolInit): ThreadInferencePool {
    const rowLength = init.sampleShape.reduce((a, d) => a * d, 1);
    const threads = ReplicaThreads.startWarm(
      {
        model: { topology: init.topology },
        backend: init.backend,
        sampleShape: init.sampleShape,
        xDtype: init.xDtype,
        predict: {
          outputLength: init.outputLength,
          pass: init.pass,
          ...(init.probes ? { probes: init.probes } : {}),
        },
      },
      init.replicas,
      init.sizes,
      { input: init.maxRows * rowLength, output: init.maxRows * init.outputLength },
      'inference replica',
    );
    const pool = new ThreadInferencePool(threads, init.maxRows, init.outputLength);
    if (threads.warm) {
      try {
        threads.waitReady();
      } catch (err) {
        void threads.dispose();
        throw err;
      }
    }
    return pool;
  }

  /** Whether start blocked until the replicas held the model (warm threads). */
  get waited(): boolean {
    return this.threads.warm;
  }

  ready(): boolean {
    return this.threads.ready();
  }

  waitReady(): void {
    this.threads.waitReady();
  }

  park(): void {
    this.threads.park(MAX_PARKED);
  }

  publish(weights: readonly tf.TypedArray[]): void {
    this.threads.publish(weights);
  }

  start(
    r: number,
    x: tf.TypedArray,
    rows: number,
    probe?: { index: number; outputLength: number },
  ): void {
    if (rows > this.maxRows)
      throw new RangeError(`chunk of ${rows} rows, pool holds ${this.maxRows}`);
    const width = probe?.outputLength ?? this.outputLength;
    if (width > this.outputLength)
      throw new RangeError(`${width} outputs per row, pool holds ${this.outputLength}`);
    this.threads.input(r).set(x, 0);
    this.values[r] = rows * width;
    // The BATCH word says what to predict: 0 the model, p + 1 the moments probe p.
    this.threads.command(r, KIND_PREDICT, rows, probe ? probe.index + 1 : 0);
  }

  wait(r: number): Float32Array {
    return this.threads.wait(r).slice(0, this.values[r]);
  }

  dispose(): void {
    void this.threads.dispose();
  }
}

/** Stops every inference thread, parked ones included (app shutdown). */
export function stopWarmInferenceThreads(): void {
  stopParkedReplicaThreads();
}
