import type * as tf from '@tensorflow/tfjs';
import type { AblationPool, AblationPoolInit } from '../train/parallel';
import { KIND_ABLATE } from './replica-protocol';
import { MeteredThreadPool, ReplicaThreads } from './replica-threads';

/**
 * Channel-ablation replicas on worker threads (KIND_ABLATE commands of replica-threads.ts):
 * DELTA's channel scoring split by units (parallel-ablation.ts). Each replica's input holds the
 * scoring batches (rows, then labels), written once; its output one range's losses.
 */
export class ThreadAblationPool extends MeteredThreadPool implements AblationPool {
  private readonly counts: number[] = [];

  private constructor(
    protected readonly threads: ReplicaThreads,
    private readonly init: AblationPoolInit,
  ) {
    super();
  }

  /** Starts the replicas and resolves once each holds the model (the weights come published). */
  static async start(init: AblationPoolInit): Promise<ThreadAblationPool> {
    const rowLength = init.sampleShape.reduce((a, d) => a * d, 1);
    const rows = init.batchRows.reduce((a, r) => a + r, 0);
    const threads = await ReplicaThreads.start(
      {
        model: { topology: init.topology },
        backend: init.backend,
        sampleShape: init.sampleShape,
        xDtype: init.xDtype,
        ablation: { hookLayers: init.hookLayers, batchRows: init.batchRows, yDtype: init.yDtype },
      },
      init.replicas,
      init.sizes,
      { input: rows * (rowLength + 1), output: init.maxUnits * init.batchRows.length },
      'ablation replica',
    );
    return new ThreadAblationPool(threads, init);
  }

  publish(weights: readonly tf.TypedArray[]): void {
    this.threads.publish(weights);
  }

  setBatches(xs: readonly tf.TypedArray[], ys: readonly tf.TypedArray[]): void {
    const { batchRows } = this.init;
    if (xs.length !== batchRows.length || ys.length !== batchRows.length) {
      throw new RangeError(`${xs.length} batches, the pool holds ${batchRows.length}`);
    }
    const rows = batchRows.reduce((a, r) => a + r, 0);
    const rowLength = this.init.sampleShape.reduce((a, d) => a * d, 1);
    for (let r = 0; r < this.threads.replicas; r++) {
      const input = this.threads.input(r);
      let at = 0;
      batchRows.forEach((n, b) => {
        input.set(xs[b], at * rowLength);
        input.set(ys[b], rows * rowLength + at);
        at += n;
      });
    }
  }

  start(r: number, from: number, count: number): void {
    if (count > this.init.maxUnits) {
      throw new RangeError(`${count} units, the pool holds ${this.init.maxUnits}`);
    }
    this.counts[r] = count;
    this.threads.command(r, KIND_ABLATE, from, count);
  }

  wait(r: number): Float32Array {
    return this.threads.wait(r).slice(0, this.counts[r] * this.init.batchRows.length);
  }

  dispose(): Promise<void> {
    return this.threads.dispose();
  }
}
