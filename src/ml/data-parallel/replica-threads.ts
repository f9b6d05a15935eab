import type * as tf from '@tensorflow/tfjs';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import {
  CTRL,
  CTRL_LENGTH,
  KIND_PARK,
  KIND_STOP,
  type ReplicaAssignMessage,
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

/**
 * Inference replicas parked between jobs stay warm (thread, TS loader, backend loaded) this long,
 * then stop: a job within it starts its replicas by building the model alone.
 */
export const PARK_MS = 5 * 60_000;

/** A parked replica thread (KIND_PARK): warm, holding no model, waiting for an assignment. */
interface Parked {
  worker: Worker;
  backend: string;
  /** It had started when it parked (else it parks once its start is over). */
  started: boolean;
  timer: ReturnType<typeof setTimeout>;
  onExit: () => void;
}

const parked: Parked[] = [];

/** Threads parked now (tests, benches). */
export function parkedReplicaThreads(): number {
  return parked.length;
}

/** Stops every parked thread now (app shutdown, tests). */
export function stopParkedReplicaThreads(): void {
  for (const p of [...parked]) {
    unpark(p);
    void p.worker.terminate();
  }
}

/** Takes `entry` off the parked list (it is taken, stopped, or it exited). */
function unpark(entry: Parked): void {
  const i = parked.indexOf(entry);
  if (i >= 0) parked.splice(i, 1);
  clearTimeout(entry.timer);
  entry.worker.removeListener('exit', entry.onExit);
}

/** A parked thread of `backend`, those that had started first. */
function takeParked(backend: string): Parked | undefined {
  const entry =
    parked.find((p) => p.backend === backend && p.started) ??
    parked.find((p) => p.backend === backend);
  if (entry) unpark(entry);
  return entry;
}

interface Member {
  worker: Worker;
  ctrl: Int32Array;
  stats: Float64Array;
  input: Float32Array;
  output: Float32Array;
  errors: MessagePort;
  /** The thread ended (a crash, or a failed start): it will never answer. */
  exited: boolean;
  /** Its 'exit' listener (removed when the thread parks: a parked thread serves many pools). */
  onExit: () => void;
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
  /** The backend its threads loaded (startWarm: where they may park). */
  private backend = '';
  /** When startWarm started it (performance.now()). */
  private startedAt = 0;
  /** Every thread came parked and started: they only build the model (a few ms). */
  warm = false;
  /** False once a replica failed a command: the pool must not be reused (exits: `exited`). */
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
    reuse = false,
  ): ReplicaThreads {
    const published = new SharedArrayBuffer(4 * sizes.reduce((a, s) => a + s, 0));
    const members: Member[] = [];
    let cold = 0;
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
      const warm = reuse ? takeParked(spec.backend) : undefined;
      if (warm) {
        const message: ReplicaAssignMessage = { type: 'assign', data };
        warm.worker.postMessage(message, [data.errors]);
      }
      if (!warm?.started) cold++;
      const worker = warm?.worker ?? startThread('replica-worker', { ...data });
      const member: Member = {
        worker,
        ctrl: new Int32Array(data.ctrl),
        stats: new Float64Array(data.stats),
        input: new Float32Array(data.input),
        output: new Float32Array(data.output),
        errors: channel.port1,
        exited: false,
        onExit: () => (member.exited = true),
      };
      worker.once('exit', member.onExit);
      members.push(member);
    }
    const pool = new ReplicaThreads(members, new Float32Array(published), role);
    pool.warm = cold === 0;
    return pool;
  }

  /**
   * Every replica is running and answered its last command. (Exits are the members' own `exited`
   * flags, whose listener parking removes: a listener per pool would pile up on a thread that
   * many pools take in turn.)
   */
  get usable(): boolean {
    return this.healthy && this.members.every((m) => !m.exited);
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
      pool.waitReady();
    } catch (err) {
      void pool.dispose();
      throw err;
    }
    return pool;
  }

  /**
   * Starts `replicas` threads without blocking (bulk prediction: the caller predicts on its own
   * thread until `ready`), taking parked warm threads of the same backend first (`warm`: all of
   * them were). The threads do not keep the process alive.
   */
  static startWarm(
    spec: ReplicaSpec,
    replicas: number,
    sizes: readonly number[],
    buffers: ReplicaBuffers,
    role: string,
  ): ReplicaThreads {
    const pool = ReplicaThreads.spawn(spec, replicas, sizes, buffers, role, true);
    for (const m of pool.members) m.worker.unref();
    pool.backend = spec.backend;
    pool.startedAt = performance.now();
    return pool;
  }

  /**
   * Whether every replica holds the model (does not block); throws when one failed to start or
   * has not started within START_TIMEOUT_MS.
   */
  ready(): boolean {
    let all = true;
    this.members.forEach((m, r) => {
      const state = Atomics.load(m.ctrl, CTRL.READY);
      if (state === 2) throw new Error(`${this.role} ${r} failed to start: ${failure(m)}`);
      if (m.exited) throw new Error(`${this.role} ${r} exited`);
      if (state === 0) all = false;
    });
    if (!all && performance.now() - this.startedAt > START_TIMEOUT_MS) {
      throw new Error(`${this.role} did not start within ${START_TIMEOUT_MS} ms`);
    }
    return all;
  }

  /** Blocks until every replica holds the model (or throws): startSync, tests, benches. */
  waitReady(): void {
    this.members.forEach((m, r) => {
      const state = blockUntil(m.ctrl, CTRL.READY, (v) => v !== 0, START_TIMEOUT_MS);
      if (state !== 1) throw new Error(`${this.role} ${r} failed to start: ${failure(m)}`);
    });
  }

  /**
   * Stops serving and parks the threads that started (KIND_PARK: warm, for the next pool of
   * startWarm within PARK_MS; at most `keep` parked in all, the others stop). Does not block: a
   * thread still starting parks once it has. The caller collected every command first.
   */
  park(keep: number): void {
    this.members.forEach((m, r) => {
      m.errors.close();
      // A thread still starting parks too: it reads the KIND_PARK once it has started.
      if (Atomics.load(m.ctrl, CTRL.READY) === 2 || m.exited || parked.length >= keep) {
        this.command(r, KIND_STOP, 0);
        void m.worker.terminate();
        return;
      }
      this.command(r, KIND_PARK, 0);
      m.worker.removeListener('exit', m.onExit);
      const entry: Parked = {
        worker: m.worker,
        backend: this.backend,
        started: Atomics.load(m.ctrl, CTRL.READY) === 1,
        timer: setTimeout(() => {
          unpark(entry);
          void m.worker.terminate();
        }, PARK_MS),
        onExit: () => unpark(entry),
      };
      entry.timer.unref?.();
      m.worker.once('exit', entry.onExit);
      parked.push(entry);
    });
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

/**
 * What every pool over ReplicaThreads (training, inference, ablation) reports to the thread
 * meter: the replica count and the threads' own CPU and wall figures.
 */
export abstract class MeteredThreadPool {
  protected abstract readonly threads: ReplicaThreads;

  get replicas(): number {
    return this.threads.replicas;
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
}
