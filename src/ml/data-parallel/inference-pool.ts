import type * as tf from '@tensorflow/tfjs';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { InferencePool, InferencePoolInit } from '../train/parallel';
import {
  ICTRL,
  ICTRL_LENGTH,
  IKIND_PREDICT,
  IKIND_STOP,
  type InferenceWorkerData,
} from './inference-protocol';
import { startThread } from './thread';

/** A replica that takes longer than this to start or to answer a chunk is taken as gone. */
const START_TIMEOUT_MS = 120_000;
const CHUNK_TIMEOUT_MS = 10 * 60_000;

interface Member {
  worker: Worker;
  ctrl: Int32Array;
  input: Float32Array;
  output: Float32Array;
  errors: MessagePort;
}

function blockUntil(ctrl: Int32Array, index: number, done: (v: number) => boolean, ms: number) {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = Atomics.load(ctrl, index);
    if (done(v)) return v;
    if (performance.now() > deadline) throw new Error(`inference replica silent for ${ms} ms`);
    Atomics.wait(ctrl, index, v, 1000);
  }
}

function failure(m: Member): string {
  return (receiveMessageOnPort(m.errors)?.message as string | undefined) ?? 'no message';
}

/** Inference replicas on worker threads; started and driven synchronously through Atomics. */
export class ThreadInferencePool implements InferencePool {
  private constructor(
    private readonly members: Member[],
    private readonly published: Float32Array,
    readonly maxRows: number,
    private readonly outputLength: number,
  ) {}

  get replicas(): number {
    return this.members.length;
  }

  /** Starts the replicas and blocks until each holds the model (or throws). */
  static start(init: InferencePoolInit): ThreadInferencePool {
    const total = init.sizes.reduce((a, s) => a + s, 0);
    const rowLength = init.sampleShape.reduce((a, d) => a * d, 1);
    const published = new SharedArrayBuffer(4 * total);
    const { replicas, ...rest } = init;
    const members: Member[] = [];
    for (let r = 0; r < replicas; r++) {
      const channel = new MessageChannel();
      const data: InferenceWorkerData = {
        init: rest,
        ctrl: new SharedArrayBuffer(4 * ICTRL_LENGTH),
        published,
        input: new SharedArrayBuffer(4 * init.maxRows * rowLength),
        output: new SharedArrayBuffer(4 * init.maxRows * init.outputLength),
        errors: channel.port2,
      };
      const worker = startThread('inference-worker', { ...data });
      // An idle pool must not keep the process alive.
      worker.unref();
      members.push({
        worker,
        ctrl: new Int32Array(data.ctrl),
        input: new Float32Array(data.input),
        output: new Float32Array(data.output),
        errors: channel.port1,
      });
    }
    const pool = new ThreadInferencePool(
      members,
      new Float32Array(published),
      init.maxRows,
      init.outputLength,
    );
    try {
      members.forEach((m, r) => {
        const state = blockUntil(m.ctrl, ICTRL.READY, (v) => v !== 0, START_TIMEOUT_MS);
        if (state !== 1) throw new Error(`inference replica ${r} failed to start: ${failure(m)}`);
      });
    } catch (err) {
      pool.dispose();
      throw err;
    }
    return pool;
  }

  publish(weights: readonly tf.TypedArray[]): void {
    let offset = 0;
    for (const w of weights) {
      this.published.set(w, offset);
      offset += w.length;
    }
  }

  start(r: number, x: tf.TypedArray, rows: number): void {
    if (rows > this.maxRows)
      throw new RangeError(`chunk of ${rows} rows, pool holds ${this.maxRows}`);
    const m = this.members[r];
    m.input.set(x, 0);
    Atomics.store(m.ctrl, ICTRL.ROWS, rows);
    Atomics.store(m.ctrl, ICTRL.KIND, IKIND_PREDICT);
    Atomics.add(m.ctrl, ICTRL.COMMAND, 1);
    Atomics.notify(m.ctrl, ICTRL.COMMAND);
  }

  wait(r: number): Float32Array {
    const m = this.members[r];
    const expected = Atomics.load(m.ctrl, ICTRL.COMMAND);
    blockUntil(m.ctrl, ICTRL.DONE, (v) => v === expected, CHUNK_TIMEOUT_MS);
    if (Atomics.load(m.ctrl, ICTRL.STATUS) !== 0) {
      throw new Error(`inference replica ${r} failed: ${failure(m)}`);
    }
    return m.output.slice(0, Atomics.load(m.ctrl, ICTRL.ROWS) * this.outputLength);
  }

  dispose(): void {
    for (const m of this.members) {
      Atomics.store(m.ctrl, ICTRL.KIND, IKIND_STOP);
      Atomics.add(m.ctrl, ICTRL.COMMAND, 1);
      Atomics.notify(m.ctrl, ICTRL.COMMAND);
      m.errors.close();
      void m.worker.terminate();
    }
  }
}
