/**
 * A dynamic batcher in the manner of Triton's (docs: "Dynamic Batcher"; model_config
 * `dynamic_batching { max_queue_delay_microseconds, preferred_batch_size, default_queue_policy }`):
 * requests wait in one bounded FIFO queue; whenever a model instance is idle a batch is sent once
 * `maxSize` requests are waiting, or a preferred size can be formed, or the oldest request has
 * waited `maxDelayMs` (then whatever is waiting, up to `maxSize`). A full queue sheds the new
 * request; a request whose queue timeout or own deadline passes is dropped before inference,
 * never after. Idle instances are used longest-idle first, so N instances share the load evenly.
 *
 * Pure: time and timers come from an injected clock, results go to a sink.
 */
import { ValidationError } from '../../platform/errors/domain-error';

export interface BatchConfig {
  /** Largest batch sent to an instance (>= 1). */
  maxSize: number;
  /** How long the oldest request may wait for a fuller batch while an instance is idle (>= 0). */
  maxDelayMs: number;
  /** Batch sizes sent as soon as they can be formed (each in 1..maxSize); optional. */
  preferredSizes?: number[];
}

export interface QueueConfig {
  /** Requests that may wait (in-flight batches excluded); one more is shed (>= 1). */
  capacity: number;
  /** A request that waited this long is dropped before inference (> 0). */
  timeoutMs: number;
}

export interface BatcherConfig {
  batch: BatchConfig;
  queue: QueueConfig;
}

/** Why a request never reached a model instance. */
export type DropReason = 'queue_full' | 'timeout' | 'deadline' | 'stopped';
export const DROP_REASONS: readonly DropReason[] = ['queue_full', 'timeout', 'deadline', 'stopped'];

export interface BatcherClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface QueuedRequest<T> {
  readonly payload: T;
  readonly arrivedAt: number;
  /** When it is dropped if still waiting: the queue timeout or its own deadline, the earlier. */
  readonly expiresAt: number;
  readonly expiry: 'timeout' | 'deadline';
}

export interface BatcherSink<T> {
  /**
   * Runs `batch` on `instance`; the owner calls `complete(instance)` when it is done. `waiting`:
   * requests that were queued when the batch was formed (the batch included), for a cut-off.
   */
  dispatch(instance: number, batch: QueuedRequest<T>[], now: number, waiting: number): void;
  drop(request: QueuedRequest<T>, reason: DropReason, now: number): void;
  /** A retired instance finished its last batch (or was idle): it may be stopped now. */
  retired(instance: number): void;
}

/** Checks a config; the message names the field and the value, as the REST schema does. */
export function validateBatcherConfig(c: BatcherConfig): void {
  const fail = (field: string, msg: string): never => {
    throw ValidationError.field(field, msg);
  };
  const { batch, queue } = c;
  if (!Number.isInteger(batch.maxSize) || batch.maxSize < 1)
    fail('batch.maxSize', `must be an integer >= 1, got ${batch.maxSize}`);
  if (!(Number.isFinite(batch.maxDelayMs) && batch.maxDelayMs >= 0))
    fail('batch.maxDelayMs', `must be a number >= 0, got ${batch.maxDelayMs}`);
  for (const [i, p] of (batch.preferredSizes ?? []).entries()) {
    if (!Number.isInteger(p) || p < 1 || p > batch.maxSize)
      fail(`batch.preferredSizes[${i}]`, `must be an integer in 1..${batch.maxSize}, got ${p}`);
  }
  if (!Number.isInteger(queue.capacity) || queue.capacity < 1)
    fail('queue.capacity', `must be an integer >= 1, got ${queue.capacity}`);
  if (!(queue.timeoutMs > 0)) fail('queue.timeoutMs', `must be > 0, got ${queue.timeoutMs}`);
}

export class DynamicBatcher<T> {
  private config: BatcherConfig;
  private queue: QueuedRequest<T>[] = [];
  /** Idle instances, longest idle first. */
  private idle: number[] = [];
  private readonly busy = new Set<number>();
  private readonly retiring = new Set<number>();
  /** No waiting request expires before this (a lower bound; Infinity when none can). */
  private nextExpiry = Infinity;
  private timer: unknown = null;
  private timerAt = Infinity;
  private stopped = false;

  constructor(
    config: BatcherConfig,
    private readonly clock: BatcherClock,
    private readonly sink: BatcherSink<T>,
  ) {
    validateBatcherConfig(config);
    this.config = normalise(config);
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** Instances serving or ready to serve (retiring ones excluded). */
  get instances(): number {
    return this.idle.length + this.busy.size - this.retiring.size;
  }

  get busyInstances(): number {
    return this.busy.size;
  }

  get currentConfig(): BatcherConfig {
    return normalise(this.config);
  }

  /**
   * Queues a request; `deadlineMs` (from now) bounds its wait below the queue timeout. Returns
   * false when it was shed or the batcher is stopped (the sink's `drop` has been called).
   */
  submit(payload: T, deadlineMs?: number): boolean {
    const now = this.clock.now();
    const timeoutAt = now + this.config.queue.timeoutMs;
    const deadlineAt = deadlineMs === undefined ? Infinity : now + Math.max(0, deadlineMs);
    const request: QueuedRequest<T> = {
      payload,
      arrivedAt: now,
      expiresAt: Math.min(timeoutAt, deadlineAt),
      expiry: deadlineAt < timeoutAt ? 'deadline' : 'timeout',
    };
    if (this.stopped) {
      this.sink.drop(request, 'stopped', now);
      return false;
    }
    if (this.queue.length >= this.config.queue.capacity) {
      this.sink.drop(request, 'queue_full', now);
      return false;
    }
    this.queue.push(request);
    this.nextExpiry = Math.min(this.nextExpiry, request.expiresAt);
    this.pump();
    return true;
  }

  /** A new instance is ready for batches. */
  addInstance(id: number): void {
    if (this.busy.has(id) || this.idle.includes(id)) throw new Error(`instance ${id} exists`);
    this.idle.push(id);
    this.pump();
  }

  /** Takes an instance out of rotation; its running batch (if any) completes normally first. */
  retireInstance(id: number): void {
    const at = this.idle.indexOf(id);
    if (at >= 0) {
      this.idle.splice(at, 1);
      this.sink.retired(id);
    } else if (this.busy.has(id)) {
      this.retiring.add(id);
    } else {
      throw new Error(`no instance ${id}`);
    }
  }

  /** The instance finished its batch. */
  complete(id: number): void {
    if (!this.busy.delete(id)) throw new Error(`instance ${id} was not busy`);
    if (this.retiring.delete(id)) {
      this.sink.retired(id);
    } else {
      this.idle.push(id);
    }
    this.pump();
  }

  /** New batching or queue settings; waiting and running requests are kept. */
  reconfigure(partial: { batch?: Partial<BatchConfig>; queue?: Partial<QueueConfig> }): void {
    const next: BatcherConfig = {
      batch: { ...this.config.batch, ...partial.batch },
      queue: { ...this.config.queue, ...partial.queue },
    };
    validateBatcherConfig(next);
    this.config = normalise(next);
    this.pump();
  }

  /** Refuses new requests and drops the waiting ones; running batches complete. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
    const now = this.clock.now();
    const waiting = this.queue;
    this.queue = [];
    for (const r of waiting) this.sink.drop(r, 'stopped', now);
  }

  /** Sends every batch that is due, then arms the timer for the next decision. */
  private pump(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    if (now >= this.nextExpiry) this.dropExpired(now);
    while (this.idle.length > 0 && this.queue.length > 0) {
      const size = this.dueSize(now);
      if (size === 0) break;
      const instance = this.idle.shift() as number;
      this.busy.add(instance);
      const waiting = this.queue.length;
      this.sink.dispatch(instance, this.queue.splice(0, size), now, waiting);
    }
    this.arm(now);
  }

  /** The size of the batch to send now, or 0 to wait for more requests. */
  private dueSize(now: number): number {
    const { maxSize, maxDelayMs, preferredSizes } = this.config.batch;
    const n = this.queue.length;
    if (n >= maxSize) return maxSize;
    const preferred = (preferredSizes ?? []).filter((p) => p <= n);
    if (preferred.length > 0) return preferred[preferred.length - 1];
    return now - this.queue[0].arrivedAt >= maxDelayMs ? n : 0;
  }

  private dropExpired(now: number): void {
    const kept: QueuedRequest<T>[] = [];
    let next = Infinity;
    for (const r of this.queue) {
      if (now >= r.expiresAt) {
        this.sink.drop(r, r.expiry, now);
      } else {
        kept.push(r);
        next = Math.min(next, r.expiresAt);
      }
    }
    this.queue = kept;
    this.nextExpiry = next;
  }

  /** One timer: at the next expiry, or when the oldest request's delay ends (an instance idle). */
  private arm(now: number): void {
    let due = this.nextExpiry;
    if (this.queue.length > 0 && this.idle.length > 0) {
      due = Math.min(due, this.queue[0].arrivedAt + this.config.batch.maxDelayMs);
    }
    if (due === this.timerAt) return;
    this.clearTimer();
    if (due === Infinity) return;
    this.timerAt = due;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, due - now),
    );
  }

  private clearTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }
}

function normalise(c: BatcherConfig): BatcherConfig {
  const preferred = [...new Set(c.batch.preferredSizes ?? [])].sort((a, b) => a - b);
  return {
    batch: {
      maxSize: c.batch.maxSize,
      maxDelayMs: c.batch.maxDelayMs,
      ...(preferred.length > 0 ? { preferredSizes: preferred } : {}),
    },
    queue: { capacity: c.queue.capacity, timeoutMs: c.queue.timeoutMs },
  };
}
