import type * as tf from '@tensorflow/tfjs';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import {
  CTRL,
  CTRL_LENGTH,
  KIND_STOP,
  type ReplicaSpec,
  type ReplicaStartMessage,
  type ReplicaWorkerData,
  STATS,
  STATS_LENGTH,
} from './replica-protocol';
import { startThread } from './thread';

/** A replica that takes longer than this to start (synchronous start) is taken as gone. */
const START_TIMEOUT_MS = 120_000;
/** A command that takes longer than this means the replica is gone (a crash Atomics cannot see). */
const COMMAND_TIMEOUT_MS = 10 * 60_000;

interface Member {
  worker: Worker;
  ctrl: Int32Array;
  stats: Float64Array;
  input: Float32Array;
  output: Float32Array;
  errors: MessagePort;
}

/** Buffer sizes (float32 values) of each replica. */
export interface ReplicaBuffers {
  input: number;
  output: number;
}

function blockUntil(ctrl: Int32Array, index: number, done: (v: number) => boolean, ms: number) {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = Atomics.load(ctrl, index);
    if (done(v)) return v;
    if (performance.now() > deadline) throw new Error(`silent for ${ms} ms`);
    Atomics.wait(ctrl, index, v, 1000);
  }
}

function failure(m: Member): string {
  return (receiveMessageOnPort(m.errors)?.message as string | undefined) ?? 'no message';
}

/**
 * Replica threads (replica-worker.ts) and the main thread's side of their protocol
 * (replica-protocol.ts): the one implementation behind the training pool (replica-pool.ts) and
 * the inference pool (inference-pool.ts). Weights are published into one shared buffer with a
 * version; a replica reloads them only when the version moved.
 */
export class ReplicaThreads {
  private version = 0;
  /** False once a replica exited or failed a command: the pool must not be reused. */
  private healthy = true;

  private constructor(
    private readonly members: Member[],
    private readonly published: Float32Array,
    /** What the errors say the replicas are ("training replica", "inference replica"). */
    private readonly role: string,
  ) {}

  get replicas(): number {
    return this.members.length;
  }

  private static spawn(
    spec: ReplicaSpec,
    replicas: number,
    sizes: readonly number[],
    buffers: ReplicaBuffers,
    role: string,
  ): ReplicaThreads {
    const published = new SharedArrayBuffer(4 * sizes.reduce((a, s) => a + s, 0));
    const members: Member[] = [];
    for (let r = 0; r < replicas; r++) {
      const channel = new MessageChannel();
      const data: ReplicaWorkerData = {
        spec,
        ctrl: new SharedArrayBuffer(4 * CTRL_LENGTH),
        stats: new SharedArrayBuffer(8 * STATS_LENGTH),
        published,
        input: new SharedArrayBuffer(4 * buffers.input),
        output: new SharedArrayBuffer(4 * buffers.output),
        errors: channel.port2,
      };
      const worker = startThread('replica-worker', { ...data });
      members.push({
        worker,
        ctrl: new Int32Array(data.ctrl),
        stats: new Float64Array(data.stats),
        input: new Float32Array(data.input),
        output: new Float32Array(data.output),
        errors: channel.port1,
      });
    }
    const pool = new ReplicaThreads(members, new Float32Array(published), role);
    for (const m of members) {
      m.worker.on('exit', () => {
        pool.healthy = false;
      });
    }
    return pool;
  }

  /** Every replica is running and answered its last command. */
  get usable(): boolean {
    return this.healthy;
  }

  /**
   * Whether the idle threads keep the process alive: a pool kept warm between jobs does not
   * (replica-pool.ts), one in use does.
   */
  keepAlive(on: boolean): void {
    for (const m of this.members) {
      if (on) m.worker.ref();
      else m.worker.unref();
    }
  }

  /**
   * Starts `replicas` threads and resolves once each holds the model (training: the main thread
   * keeps its event loop while they load).
   */
  static async start(
    spec: ReplicaSpec,
    replicas: number,
    sizes: readonly number[],
    buffers: ReplicaBuffers,
    role: string,
  ): Promise<ReplicaThreads> {
    const pool = ReplicaThreads.spawn(spec, replicas, sizes, buffers, role);
    const ready = pool.members.map(
      ({ worker }, r) =>
        new Promise<void>((resolve, reject) => {
          worker.once('message', (m: ReplicaStartMessage) =>
            m.type === 'ready'
              ? resolve()
              : reject(new Error(`${role} ${r} failed to start: ${m.message}`)),
          );
          worker.once('error', reject);
          worker.once('exit', (code) =>
            reject(new Error(`${role} ${r} exited with ${code} while starting`)),
          );
        }),
    );
    try {
      await Promise.all(ready);
    } catch (err) {
      await pool.dispose();
      throw err;
    }
    return pool;
  }

  /**
   * The same, blocking until every replica holds the model (bulk prediction: its caller is
   * synchronous). The threads do not keep the process alive while idle.
   */
  static startSync(
    spec: ReplicaSpec,
    replicas: number,
    sizes: readonly number[],
    buffers: ReplicaBuffers,
    role: string,
  ): ReplicaThreads {
    const pool = ReplicaThreads.spawn(spec, replicas, sizes, buffers, role);
    for (const m of pool.members) m.worker.unref();
    try {
      pool.members.forEach((m, r) => {
        const state = blockUntil(m.ctrl, CTRL.READY, (v) => v !== 0, START_TIMEOUT_MS);
        if (state !== 1) throw new Error(`${role} ${r} failed to start: ${failure(m)}`);
      });
    } catch (err) {
      void pool.dispose();
      throw err;
    }
    return pool;
  }

  /** Writes the model's weights (model.weights order) and moves the version: replicas reload. */
  publish(weights: readonly tf.TypedArray[]): void {
    let offset = 0;
    for (const w of weights) {
      this.published.set(w, offset);
      offset += w.length;
    }
    this.version++;
    for (const m of this.members) Atomics.store(m.ctrl, CTRL.VERSION, this.version);
  }

  /** Each replica's CPU to start (until it held the model), ns; NaN where unreadable. */
  startCpuNs(): number[] {
    return this.members.map((m) => m.stats[STATS.START_CPU_NS]);
  }

  /** Replica r's CPU on its last answered command, ns; NaN where unreadable. */
  commandCpuNs(r: number): number {
    return this.members[r].stats[STATS.COMMAND_CPU_NS];
  }

  /** Replica r's wall time on its last answered command, ns. */
  commandWallNs(r: number): number {
    return this.members[r].stats[STATS.COMMAND_WALL_NS];
  }

  /** Replica r's input buffer, to fill before `command`. */
  input(r: number): Float32Array {
    return this.members[r].input;
  }

  /**
   * Gives replica r a command on `size` rows of its input (a step's shard: of a batch of `batch`
   * rows). Does not block.
   */
  command(r: number, kind: number, size: number, batch = 0): void {
    const m = this.members[r];
    Atomics.store(m.ctrl, CTRL.SIZE, size);
    Atomics.store(m.ctrl, CTRL.BATCH, batch);
    Atomics.store(m.ctrl, CTRL.KIND, kind);
    Atomics.add(m.ctrl, CTRL.COMMAND, 1);
    Atomics.notify(m.ctrl, CTRL.COMMAND);
  }

  /**
   * Blocks until replica r answered its command; throws the replica's error. The answer is its
   * output buffer itself: valid until the next command.
   */
  wait(r: number): Float32Array {
    const m = this.members[r];
    const expected = Atomics.load(m.ctrl, CTRL.COMMAND);
    try {
      blockUntil(m.ctrl, CTRL.DONE, (v) => v === expected, COMMAND_TIMEOUT_MS);
    } catch {
      this.healthy = false;
      throw new Error(`${this.role} ${r} did not answer within ${COMMAND_TIMEOUT_MS} ms`);
    }
    if (Atomics.load(m.ctrl, CTRL.STATUS) !== 0) {
      this.healthy = false;
      throw new Error(`${this.role} ${r} failed: ${failure(m)}`);
    }
    return m.output;
  }

  async dispose(): Promise<void> {
    this.healthy = false;
    await Promise.all(
      this.members.map(async (m) => {
        this.command(this.members.indexOf(m), KIND_STOP, 0);
        m.errors.close();
        await m.worker.terminate();
      }),
    );
  }
}
