/**
 * In-process serving of one registered model: a dynamic batcher (core/batcher.ts) in front of N
 * model instances, each a worker thread with its own TF.js backend running one batch at a time.
 *
 * Stable API (other code builds on it; add, do not rename):
 *   DeploymentRuntime.start(opts: DeploymentRuntimeOptions): Promise<DeploymentRuntime>
 *   runtime.predict(input, { deadlineMs? }): Promise<PredictResult>   rejects RequestDroppedError
 *   runtime.reconfigure({ instances?, batch?, queue? }): Promise<void>  in-flight requests kept
 *   runtime.metrics(): RuntimeMetrics
 *   runtime.stop(): Promise<void>
 * See src/serving/README-runtime.md.
 */
import * as path from 'node:path';
import { batchHandoff, batchLoopTime, timeBatchWork } from './batch-loop-time';
import type { Worker } from 'node:worker_threads';
import { startModuleThread } from '../../platform/runtime/source-thread';
import type { BackendPreference } from '../../ml/backend';
import { ValidationError } from '../../platform/errors/domain-error';
import {
  type BatchConfig,
  type BatcherClock,
  type BatcherConfig,
  type DropReason,
  DynamicBatcher,
  type QueueConfig,
  type QueuedRequest,
} from '../core/batcher';
import {
  DeploymentStoppedError,
  flattenSample,
  QueueFullError,
  RequestDroppedError,
  RequestTimeoutError,
} from '../core/serving-errors';
import { ServingStats, type ServingSnapshot } from '../core/serving-stats';
import type { FromInstance, InstanceWorkerData, ToInstance } from './instance-protocol';

/** JIZHI's feature cut-off on a real model: with more than `queueThreshold` requests waiting at
 * dispatch, the batch runs on the cheaper model in `modelDir` (e.g. a pruned variant). */
export interface CutoffConfig {
  queueThreshold: number;
  modelDir: string;
}

export interface DeploymentRuntimeOptions {
  /** A directory holding the model's model.json and weights.bin (as the registry stores them). */
  modelDir: string;
  /** Model instances (worker threads), >= 1. */
  instances: number;
  batch: BatchConfig;
  queue: QueueConfig;
  cutoff?: CutoffConfig;
  /** TF.js backend of each instance thread (src/ml/backend.ts); default `auto`. */
  backend?: BackendPreference;
  /** Called on every batch, served request and drop (e.g. Prometheus). */
  observer?: RuntimeObserver;
}

export interface RuntimeObserver {
  batch?(size: number, serviceMs: number): void;
  served?(queueMs: number, serviceMs: number, batchSize: number): void;
  dropped?(reason: DropReason): void;
}

export interface PredictResult {
  /** The model's output row for the sample (class probabilities for the zoo's classifiers). */
  output: number[];
  /** Arrival to dispatch, ms. */
  queueMs: number;
  /** Dispatch to result of the whole batch, thread hand-off included, ms. */
  serviceMs: number;
  batchSize: number;
  /** The instance thread's own time on the batch (inference); serviceMs minus it is the hand-off. */
  computeMs?: number;
  /** The instance that ran it (0-based ids, not reused). */
  instance: number;
  /** True when the batch ran on the cut-off model. */
  cut: boolean;
}

export interface RuntimeMetrics extends ServingSnapshot {
  config: {
    instances: number;
    batch: BatchConfig;
    queue: QueueConfig;
    cutoff?: { queueThreshold: number };
  };
  backend: string;
  inputShape: number[];
  outputSize: number;
}

export type SampleInput = Float32Array | readonly number[] | readonly (readonly number[])[];

/** Longest wait for running batches when stopping before the threads are terminated. */
const STOP_DRAIN_MS = 30_000;

interface Pending {
  input: Float32Array;
  resolve: (r: PredictResult) => void;
  reject: (e: Error) => void;
}

interface Instance {
  id: number;
  worker: Worker;
  running?: { seq: number; batch: QueuedRequest<Pending>[]; at: number; cut: boolean };
  /** Resolves when the thread is gone. */
  exited: Promise<void>;
  retired: boolean;
}

const realClock: BatcherClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The thread's entry beside this file (.js built, .ts from source through the swc loader). */
function startThread(workerData: InstanceWorkerData): Worker {
  const entry = path.join(__dirname, `instance-worker${path.extname(__filename)}`);
  return startModuleThread(entry, { workerData });
}

export class DeploymentRuntime {
  private readonly batcher: DynamicBatcher<Pending>;
  private readonly stats = new ServingStats();
  private readonly members = new Map<number, Instance>();
  private nextId = 0;
  private seq = 0;
  private target: number;
  private scaling: Promise<void> = Promise.resolve();
  private stopping = false;
  /** Mean service time per request of recent batches, for Retry-After. */
  private perRequestMs = 0;
  private backend = 'unknown';
  private inputShape: number[] = [];
  private outputSize = 0;

  private constructor(private readonly opts: DeploymentRuntimeOptions) {
    this.target = opts.instances;
    this.batcher = new DynamicBatcher<Pending>(
      { batch: opts.batch, queue: opts.queue },
      realClock,
      {
        dispatch: (id, batch, now, waiting) => this.dispatch(id, batch, now, waiting),
        drop: (r, reason) => this.drop(r, reason),
        retired: (id) => void this.terminate(id),
      },
    );
  }

  /** Starts `opts.instances` threads and resolves once each holds the warmed model. */
  static async start(opts: DeploymentRuntimeOptions): Promise<DeploymentRuntime> {
    checkInstances(opts.instances);
    const rt = new DeploymentRuntime(opts);
    try {
      await rt.grow(opts.instances);
    } catch (err) {
      await rt.stop();
      throw err;
    }
    return rt;
  }

  /** One sample in, its output row out, batched with whatever else is waiting. */
  predict(input: SampleInput, opts: { deadlineMs?: number } = {}): Promise<PredictResult> {
    const flat = flattenSample(input, this.inputShape);
    return new Promise<PredictResult>((resolve, reject) => {
      this.batcher.submit({ input: flat, resolve, reject }, opts.deadlineMs);
    });
  }

  /**
   * Scales the instances and/or changes batching and queue settings. Waiting and running requests
   * are kept: new instances join once warmed, removed ones finish their batch first.
   */
  reconfigure(partial: {
    instances?: number;
    batch?: Partial<BatchConfig>;
    queue?: Partial<QueueConfig>;
  }): Promise<void> {
    if (this.stopping) return Promise.reject(new DeploymentStoppedError(1));
    if (partial.instances !== undefined) checkInstances(partial.instances);
    if (partial.batch || partial.queue) {
      this.batcher.reconfigure({ batch: partial.batch, queue: partial.queue });
    }
    const n = partial.instances;
    if (n === undefined) return this.scaling;
    this.scaling = this.scaling.then(() => this.scaleTo(n));
    return this.scaling;
  }

  metrics(): RuntimeMetrics {
    const config: BatcherConfig = this.batcher.currentConfig;
    return {
      ...this.stats.snapshot({
        queueLength: this.batcher.queueLength,
        instances: this.batcher.instances,
        busyInstances: this.batcher.busyInstances,
      }),
      config: {
        instances: this.target,
        ...config,
        ...(this.opts.cutoff
          ? { cutoff: { queueThreshold: this.opts.cutoff.queueThreshold } }
          : {}),
      },
      backend: this.backend,
      inputShape: [...this.inputShape],
      outputSize: this.outputSize,
    };
  }

  /** Refuses new requests, drops the waiting ones, lets running batches finish, ends the threads. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.batcher.stop();
    await this.scaling.catch(() => undefined);
    const deadline = Date.now() + STOP_DRAIN_MS;
    while ([...this.members.values()].some((m) => m.running) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all([...this.members.keys()].map((id) => this.terminate(id)));
  }

  private async scaleTo(n: number): Promise<void> {
    if (this.stopping) return;
    this.target = n;
    const live = [...this.members.values()].filter((m) => !m.retired);
    if (n > live.length) await this.grow(n - live.length);
    for (const m of live.slice(n).reverse()) {
      m.retired = true;
      this.batcher.retireInstance(m.id);
    }
  }

  /** Starts `count` instances; each joins the batcher once warmed. */
  private async grow(count: number): Promise<void> {
    const started = Array.from({ length: count }, () => this.startInstance());
    const results = await Promise.allSettled(started);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  private startInstance(): Promise<void> {
    const id = this.nextId++;
    const worker = startThread({
      modelDir: this.opts.modelDir,
      ...(this.opts.cutoff ? { cutoffModelDir: this.opts.cutoff.modelDir } : {}),
      backend: this.opts.backend ?? 'auto',
    });
    const exited = new Promise<void>((r) => worker.once('exit', () => r()));
    const m: Instance = { id, worker, exited, retired: false };
    this.members.set(id, m);
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (msg: FromInstance) => {
        if (msg.type === 'ready') {
          ready = true;
          this.backend = msg.backend;
          this.inputShape = msg.inputShape;
          this.outputSize = msg.outputSize;
          if (this.stopping) void this.terminate(id);
          else this.batcher.addInstance(id);
          resolve();
        } else if (msg.type === 'fatal') {
          reject(new Error(`model instance ${id} failed to start: ${msg.message}`));
          void this.terminate(id);
        } else {
          this.finished(m, msg);
        }
      });
      worker.on('error', (err) => {
        if (!ready) reject(new Error(`model instance ${id} failed to start: ${err.message}`));
        else this.lost(m, err);
      });
      worker.on('exit', (code) => {
        if (!ready) reject(new Error(`model instance ${id} exited with ${code} while starting`));
        else if (this.members.has(id)) this.lost(m, new Error(`exited with ${code}`));
      });
    });
  }

  private dispatch(
    id: number,
    batch: QueuedRequest<Pending>[],
    now: number,
    waiting: number,
  ): void {
    timeBatchWork(() => this.send(id, batch, now, waiting), true);
  }

  private send(id: number, batch: QueuedRequest<Pending>[], now: number, waiting: number): void {
    const m = this.members.get(id) as Instance;
    const size = this.inputShape.reduce((a, d) => a * d, 1);
    const input = new Float32Array(batch.length * size);
    batch.forEach((r, i) => input.set(r.payload.input, i * size));
    const cut = this.opts.cutoff !== undefined && waiting > this.opts.cutoff.queueThreshold;
    const seq = ++this.seq;
    m.running = { seq, batch, at: now, cut };
    const message: ToInstance = { type: 'batch', seq, size: batch.length, cut, input };
    m.worker.postMessage(message, [input.buffer]);
  }

  private finished(m: Instance, msg: Extract<FromInstance, { seq: number }>): void {
    const running = m.running;
    if (!running || running.seq !== msg.seq) return;
    m.running = undefined;
    const now = performance.now();
    const replyStart = now;
    const serviceMs = now - running.at;
    const n = running.batch.length;
    if (msg.type === 'result') {
      this.stats.batch(n, serviceMs);
      batchHandoff.ms += Math.max(0, serviceMs - msg.computeMs);
      batchHandoff.batches += 1;
      this.opts.observer?.batch?.(n, serviceMs);
      this.perRequestMs =
        this.perRequestMs === 0 ? serviceMs / n : 0.9 * this.perRequestMs + (0.1 * serviceMs) / n;
      const width = msg.output.length / n;
      // The reply's per-batch part (the per-request resolves below are per-request time).
      batchLoopTime.ms += performance.now() - replyStart;
      running.batch.forEach((r, i) => {
        const queueMs = running.at - r.arrivedAt;
        this.stats.request(queueMs, serviceMs);
        this.opts.observer?.served?.(queueMs, serviceMs, n);
        r.payload.resolve({
          output: Array.from(msg.output.subarray(i * width, (i + 1) * width)),
          queueMs,
          serviceMs,
          batchSize: n,
          computeMs: msg.computeMs,
          instance: m.id,
          cut: running.cut,
        });
      });
    } else {
      const err = new Error(`model instance ${m.id} failed on a batch of ${n}: ${msg.message}`);
      for (const r of running.batch) r.payload.reject(err);
    }
    this.batcher.complete(m.id);
  }

  /** A thread died while serving: its batch fails, a replacement starts. */
  private lost(m: Instance, err: Error): void {
    if (!this.members.has(m.id)) return;
    this.members.delete(m.id);
    const running = m.running;
    m.running = undefined;
    for (const r of running?.batch ?? []) {
      r.payload.reject(new Error(`model instance ${m.id} was lost: ${err.message}`));
    }
    if (running) {
      if (!m.retired) this.batcher.retireInstance(m.id);
      this.batcher.complete(m.id);
    } else if (!m.retired) {
      this.batcher.retireInstance(m.id);
    }
    const replace = !m.retired;
    m.retired = true;
    if (replace && !this.stopping) {
      this.scaling = this.scaling.then(() => this.scaleTo(this.target)).catch(() => undefined);
    }
  }

  private async terminate(id: number): Promise<void> {
    const m = this.members.get(id);
    if (!m) return;
    this.members.delete(id);
    const stop: ToInstance = { type: 'stop' };
    m.worker.postMessage(stop);
    await m.worker.terminate();
    await m.exited;
  }

  private drop(r: QueuedRequest<Pending>, reason: DropReason): void {
    this.stats.drop(reason);
    this.opts.observer?.dropped?.(reason);
    const retryAfterS = this.retryAfterS();
    const waited = performance.now() - r.arrivedAt;
    const error: RequestDroppedError =
      reason === 'queue_full'
        ? new QueueFullError(this.batcher.currentConfig.queue.capacity, retryAfterS)
        : reason === 'stopped'
          ? new DeploymentStoppedError(retryAfterS)
          : new RequestTimeoutError(reason, waited, retryAfterS);
    r.payload.reject(error);
  }

  /** Seconds until the waiting requests are likely served (at least 1). */
  private retryAfterS(): number {
    const instances = Math.max(1, this.batcher.instances);
    const drainMs = (this.batcher.queueLength * this.perRequestMs) / instances;
    return Math.max(1, Math.ceil(drainMs / 1000));
  }
}

function checkInstances(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw ValidationError.field('instances', `must be an integer in 1..64, got ${n}`);
  }
}
