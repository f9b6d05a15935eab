import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import {
  pathIntervals,
  unionOf,
  type Interval,
  type PathStamps,
} from './core/request-path-calibration';
import { batchHandoff, batchLoopTime } from './runtime/batch-loop-time';

/** Windows of this length with at least MIN_REQUESTS predicts are kept; the last WINDOWS count
 * (about the last 10 s of traffic: recent enough to follow a change of load or body kind). */
const WINDOW_MS = 1000;
const MIN_REQUESTS = 10;
const WINDOWS = 10;

export interface RequestPathMeasurement {
  /** The event loop's busy time per served predict request, ms (mean over the kept windows). */
  eventLoopMs: number;
  /**
   * The part of it spent per model batch (dispatch to the instance thread, the reply message;
   * runtime/batch-loop-time.ts), ms per batch, and the mean batch it was measured at
   * (requests / batches): the simulator re-amortises it over its own batch sizes.
   */
  perBatchMs?: number;
  batchSize?: number;
  /**
   * The main thread's mean run-queue delay per time it got a core (Linux schedstat): how long a
   * request that wakes the idle loop waits before the loop runs, while more arrive (they come
   * out of epoll together). Absent where /proc is not there.
   */
  wakeDelayMs?: number;
  /**
   * The mean thread hand-off per batch under this traffic (service - the instance's compute:
   * runtime/batch-loop-time.ts `batchHandoff`), against which the profile's own (taken with an
   * idle event loop) is compared.
   */
  handoffMs?: number;
  /**
   * The loop's time ON the requests' path, as the HTTP bench calibrates it from traces
   * (src/serving/core/request-path-calibration.ts), from the API's own stamps of every predict:
   * the union of the requests' [headers parsed, submitted] and [batch done, answer written]
   * intervals per request, and of the batches' reply intervals per batch, at `batchSize`
   * requests per batch. Unlike `eventLoopMs` (all the loop's busy wall time over the predicts),
   * it leaves out the loop's work off any request's path and a wait counted as service; the
   * profile job takes it when present. Absent until a window had stamped predicts.
   */
  onPath?: { eventLoopMs: number; perBatchMs: number; batchSize: number; requests: number };
  /** Requests and windows it is the mean of. */
  requests: number;
  windows: number;
}

/** One answered predict request's stamps (epoch ms) and its rows' runtime figures. */
export interface ServedPath {
  arrived: number;
  enqueued: number;
  resolved: number;
  written: number;
  rows: readonly { queueMs: number; serviceMs: number; batchSize: number }[];
}

/**
 * The API's request path, measured on the requests it serves: every second, the event loop's
 * busy time (performance.eventLoopUtilization) over the predict requests answered in that
 * second. The event loop is one server for everything the process does, so this is the
 * per-request service time of the `http` stage the simulator puts in front of the batcher
 * (src/serving/core/serving-pipeline.ts). The loop's other work is estimated in windows
 * without predicts and subtracted (at most half a window's busy time, so a burst of background
 * work cannot zero it); windows with few predicts are skipped.
 */
@Injectable()
export class RequestPathMeter implements OnModuleDestroy {
  private readonly windows: {
    busyMs: number;
    requests: number;
    batchMs: number;
    batches: number;
    runDelayNs: number;
    slices: number;
    handoffMs: number;
    handoffBatches: number;
    path: { loopMs: number; replyMs: number; requests: number; batches: number };
  }[] = [];
  /** The current window's on-path intervals (pathIntervals), requests and batches. */
  private pathLoop: Interval[] = [];
  private pathReply: Interval[] = [];
  private pathRequests = 0;
  private pathBatches = 0;
  private lastHandoff = { ...batchHandoff };
  private lastSched: ReturnType<typeof schedstat> = null;
  private lastBatch = { ...batchLoopTime };
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private requests = 0;
  /** The loop's busy ms per window without predicts (a moving average), subtracted from the others. */
  private backgroundMs?: number;
  /** Armed only while this process hosts a deployment: no /proc read a second otherwise. */
  private timer?: NodeJS.Timeout;

  get armed(): boolean {
    return this.timer !== undefined;
  }

  /**
   * Meters while `hosting` (the deployments service says so after each change and reconcile
   * pass). Re-arming starts from fresh baselines, so the idle time in between is no window.
   */
  arm(hosting: boolean): void {
    if (hosting === this.armed) return;
    if (!hosting) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    this.last = performance.eventLoopUtilization();
    this.lastBatch = { ...batchLoopTime };
    this.lastHandoff = { ...batchHandoff };
    this.lastSched = schedstat();
    this.requests = 0;
    this.pathLoop = [];
    this.pathReply = [];
    this.pathRequests = 0;
    this.pathBatches = 0;
    this.timer = setInterval(() => this.closeWindow(), WINDOW_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    this.arm(false);
  }

  /**
   * A predict request's stamps, for the on-path loop time: each row is a request of the model
   * (a binary body's rows share the request's loop intervals, so they are counted once).
   */
  path(p: ServedPath): void {
    if (!this.armed || p.rows.length === 0) return;
    if (![p.arrived, p.enqueued, p.resolved, p.written].every(Number.isFinite)) return;
    for (const r of p.rows) {
      const stamps: PathStamps = { ...p, queueMs: r.queueMs, serviceMs: r.serviceMs };
      const iv = pathIntervals(stamps);
      this.pathLoop.push(...iv.loop);
      this.pathReply.push(iv.reply);
      this.pathBatches += 1 / Math.max(1, r.batchSize);
    }
    this.pathRequests += p.rows.length;
  }

  /** `n` predict requests were answered (rows of a binary body count one each). */
  served(n = 1): void {
    this.requests += n;
  }

  measurement(): RequestPathMeasurement | null {
    const requests = this.windows.reduce((a, w) => a + w.requests, 0);
    if (requests === 0) return null;
    const busyMs = this.windows.reduce((a, w) => a + w.busyMs, 0);
    const batchMs = this.windows.reduce((a, w) => a + w.batchMs, 0);
    const batches = this.windows.reduce((a, w) => a + w.batches, 0);
    const runDelayNs = this.windows.reduce((a, w) => a + w.runDelayNs, 0);
    const slices = this.windows.reduce((a, w) => a + w.slices, 0);
    const handoffMs = this.windows.reduce((a, w) => a + w.handoffMs, 0);
    const handoffBatches = this.windows.reduce((a, w) => a + w.handoffBatches, 0);
    const path = this.windows.reduce(
      (a, w) => ({
        loopMs: a.loopMs + w.path.loopMs,
        replyMs: a.replyMs + w.path.replyMs,
        requests: a.requests + w.path.requests,
        batches: a.batches + w.path.batches,
      }),
      { loopMs: 0, replyMs: 0, requests: 0, batches: 0 },
    );
    return {
      eventLoopMs: busyMs / requests,
      ...(path.requests > 0 && path.batches > 0
        ? {
            onPath: {
              eventLoopMs: path.loopMs / path.requests,
              perBatchMs: path.replyMs / path.batches,
              batchSize: path.requests / path.batches,
              requests: path.requests,
            },
          }
        : {}),
      ...(slices > 0 ? { wakeDelayMs: runDelayNs / slices / 1e6 } : {}),
      ...(batches > 0 ? { perBatchMs: batchMs / batches, batchSize: requests / batches } : {}),
      ...(handoffBatches > 0 ? { handoffMs: handoffMs / handoffBatches } : {}),
      requests,
      windows: this.windows.length,
    };
  }

  /** Ends the current window (the timer calls it every WINDOW_MS). */
  closeWindow(): void {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    const n = this.requests;
    this.requests = 0;
    const batchMs = batchLoopTime.ms - this.lastBatch.ms;
    const batches = batchLoopTime.batches - this.lastBatch.batches;
    this.lastBatch = { ...batchLoopTime };
    const handoff = {
      ms: batchHandoff.ms - this.lastHandoff.ms,
      batches: batchHandoff.batches - this.lastHandoff.batches,
    };
    this.lastHandoff = { ...batchHandoff };
    const sched = schedstat();
    const runDelayNs = sched && this.lastSched ? sched.runDelayNs - this.lastSched.runDelayNs : 0;
    const slices = sched && this.lastSched ? sched.slices - this.lastSched.slices : 0;
    this.lastSched = sched;
    const path = {
      loopMs: unionOf(this.pathLoop).length,
      replyMs: unionOf(this.pathReply).length,
      requests: this.pathRequests,
      batches: this.pathBatches,
    };
    this.pathLoop = [];
    this.pathReply = [];
    this.pathRequests = 0;
    this.pathBatches = 0;
    if (n === 0) {
      // No predicts: what the loop does anyway (timers, the reconcile pass, probes, GC).
      this.backgroundMs =
        this.backgroundMs === undefined
          ? delta.active
          : 0.8 * this.backgroundMs + 0.2 * delta.active;
      return;
    }
    if (n < MIN_REQUESTS) return;
    const busyMs = Math.max(delta.active - (this.backgroundMs ?? 0), delta.active / 2);
    this.windows.push({
      busyMs,
      requests: n,
      batchMs: Math.min(batchMs, busyMs),
      batches,
      runDelayNs,
      slices,
      handoffMs: handoff.ms,
      handoffBatches: handoff.batches,
      path,
    });
    if (this.windows.length > WINDOWS) this.windows.shift();
  }
}

/**
 * The main thread's scheduler statistics (/proc/<pid>/task/<pid>/schedstat: time on cpu, time
 * runnable but waiting, times run, in ns); null where there is no /proc (not Linux).
 */
function schedstat(): { runDelayNs: number; slices: number } | null {
  try {
    const [, wait, slices] = readFileSync(
      `/proc/${process.pid}/task/${process.pid}/schedstat`,
      'utf8',
    )
      .trim()
      .split(/\s+/)
      .map(Number);
    return Number.isFinite(wait) && Number.isFinite(slices) ? { runDelayNs: wait, slices } : null;
  } catch {
    return null;
  }
}
